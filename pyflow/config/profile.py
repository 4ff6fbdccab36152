"""profiles.yml: where models are built (dbt's shape), and the default DuckDB target.

Each engine's connection settings are one pydantic model (``DuckDBTarget``, ``TrinoTarget``,
``AthenaTarget``) in the ``type``-discriminated :data:`TargetConfig` union. Secrets are
``SecretStr``: they print as ``**********`` and :meth:`Target.public_dict` masks them.

Lookup order: ``--profiles-dir``, the project folder, ``~/.pyflow/``; for a dbt project
(dbt_project.yml, no pyflow.yml) ``DBT_PROFILES_DIR`` after ``--profiles-dir`` and ``~/.dbt/`` last. With no profiles.yml at
all, the target is DuckDB at ``<project-dir>/pyflow.duckdb``. String values may use
``{{ env_var('NAME') }}`` / ``{{ env_var('NAME', 'default') }}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from pyflow.config.dbtprofile import dbt_output
from pyflow.config.releaseconfig import ReleaseSettings
from pyflow.config.yamlfile import YamlDoc, load_yaml, validation_errors
from pyflow.errors import ErrorGroup, ProjectError, PyflowError, closest

PROFILES_FILE = "profiles.yml"
DBT_PROFILES_ENV = "DBT_PROFILES_DIR"
DEFAULT_DUCKDB_FILE = "pyflow.duckdb"


class DuckDBTarget(ReleaseSettings):
    """``type: duckdb``: an embedded database file (or ``:memory:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["duckdb"] = "duckdb"
    path: str = DEFAULT_DUCKDB_FILE
    schema_: str = Field(default="main", alias="schema")
    database: str | None = None
    threads: int = Field(default=4, ge=1)
    extensions: tuple[str, ...] = ()
    settings: dict[str, str | int | float | bool] = Field(default_factory=dict)


class TrinoAuth(BaseModel):
    """``auth:`` of a Trino target: ``none``, ``basic`` (user + password) or ``jwt`` (token)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["none", "basic", "jwt"] = "none"
    password: SecretStr | None = None
    token: SecretStr | None = None

    @model_validator(mode="after")
    def _secret_matches_method(self) -> TrinoAuth:
        if self.method == "basic" and self.password is None:
            raise ValueError("auth method 'basic' needs `password` (use env_var('...'))")
        if self.method == "jwt" and self.token is None:
            raise ValueError("auth method 'jwt' needs `token` (use env_var('...'))")
        return self


class TrinoTarget(ReleaseSettings):
    """``type: trino``: a Trino coordinator reached over HTTP(S)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["trino"] = "trino"
    host: str
    port: int = Field(default=8080, ge=1, le=65535)
    user: str = "pyflow"
    database: str = Field(min_length=1, validation_alias=AliasChoices("database", "catalog"))
    schema_: str = Field(alias="schema")
    http_scheme: Literal["http", "https"] = "http"
    auth: TrinoAuth = TrinoAuth()
    threads: int = Field(default=4, ge=1)
    session_properties: dict[str, str | int | float | bool] = Field(default_factory=dict)
    num_retries: int = Field(default=3, ge=0)
    max_queries_per_second: float | None = Field(default=None, gt=0)
    connector: str | None = Field(default=None, min_length=1)
    """The catalog's connector (``iceberg``, ``hive``, ``memory``, ``delta_lake`` ...): what its
    tables support (incremental strategies, partitions). Unset: asked from the server when it runs."""

    """The catalog (dbt-trino calls it ``database``; ``catalog`` is accepted too)."""


S3DataNaming = Literal["unique", "table", "table_unique", "schema_table", "schema_table_unique"]


class AthenaTarget(ReleaseSettings):
    """``type: athena``: Amazon Athena through pyathena; AWS credentials from the standard chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["athena"] = "athena"
    s3_staging_dir: str
    region_name: str
    work_group: str | None = None
    result_reuse: bool | Annotated[int, Field(ge=1, le=10080)] = False
    """Athena query result reuse: ``true`` (results up to 60 minutes old) or a max age in minutes."""
    database: str = Field(default="awsdatacatalog", min_length=1)
    schema_: str = Field(alias="schema")
    s3_data_dir: str | None = None
    s3_data_naming: S3DataNaming = "schema_table_unique"
    aws_profile_name: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    num_retries: int = Field(default=5, ge=0)
    max_queries_per_second: float | None = Field(default=10.0, gt=0)
    poll_interval: float = Field(default=1.0, gt=0)
    threads: int = Field(default=4, ge=1)


TargetConfig = Annotated[DuckDBTarget | TrinoTarget | AthenaTarget, Field(discriminator="type")]
AnyTarget = DuckDBTarget | TrinoTarget | AthenaTarget
_TARGET_ADAPTER: TypeAdapter[AnyTarget] = TypeAdapter(TargetConfig)
_TARGET_MODELS: dict[str, type[DuckDBTarget] | type[TrinoTarget] | type[AthenaTarget]] = {
    "duckdb": DuckDBTarget,
    "trino": TrinoTarget,
    "athena": AthenaTarget,
}
TARGET_TYPES = tuple(_TARGET_MODELS)


class Target(BaseModel):
    """A resolved target: its name, and its connection settings."""

    model_config = ConfigDict(frozen=True)

    name: str
    profile: str | None
    config: AnyTarget
    source: str = "default"
    unused_keys: tuple[str, ...] = ()
    """Keys of a dbt adapter's output accepted without effect (dbt projects only)."""

    @property
    def type(self) -> str:
        """Engine name (``duckdb`` ...)."""
        return self.config.type

    @property
    def schema_name(self) -> str:
        """The target schema models are built in unless they set ``+schema``."""
        return self.config.schema_

    @property
    def database(self) -> str:
        """The target's database (catalog): for DuckDB by default the file's stem."""
        cfg = self.config
        if cfg.database:
            return cfg.database
        assert isinstance(cfg, DuckDBTarget)  # the other engines require a database
        return Path(cfg.path).stem if cfg.path != ":memory:" else "memory"

    @property
    def threads(self) -> int:
        """Default worker count."""
        return self.config.threads

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to print or store: secrets are masked."""
        return {"name": self.name, "profile": self.profile, **_masked(self.config.model_dump(by_alias=True))}


def _masked(value: Any) -> Any:
    """``value`` with every SecretStr (at any depth) replaced by a mask."""
    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def render_env(value: Any, where: str, doc: YamlDoc | None = None, loc: tuple[Any, ...] = ()) -> Any:
    """Render ``{{ env_var(...) }}`` inside profile values (``doc``/``loc`` give errors a line)."""
    if isinstance(value, dict):
        return {k: render_env(v, where, doc, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [render_env(v, where, doc, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, str) or "{{" not in value:
        return value
    import jinja2

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ProjectError(
            f"environment variable '{name}' is not set",
            path=where,
            line=doc.line_of(loc) if doc is not None else None,
            hint=f"export {name}=... or give a default: env_var('{name}', 'value')",
            code="missing-env-var",
        )

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(value).render(env_var=env_var)
    except PyflowError:
        raise
    except Exception as exc:  # the value's own Jinja: a syntax error, an unknown name, 1/0 ...
        raise ProjectError(
            f"cannot render the Jinja in this value: {type(exc).__name__}: {exc}",
            path=where,
            line=doc.line_of(loc) if doc is not None else None,
            hint="profiles.yml values may use {{ env_var('NAME') }} or "
            "{{ env_var('NAME', 'default') }} only; quote the value if the braces are literal",
            code="profile-jinja",
        ) from None


def find_profiles(project_dir: Path, profiles_dir: Path | None, *, dbt: bool = False) -> Path | None:
    """First profiles.yml in the lookup order, or None.

    An explicit ``--profiles-dir`` must hold profiles.yml: falling back to another file
    could silently run against a different warehouse. A dbt project (``dbt=True``) also
    honours dbt's ``DBT_PROFILES_DIR`` (after ``--profiles-dir``, and just as strictly) and
    falls back to ``~/.dbt/`` last.
    """
    explicit = [(profiles_dir, "--profiles-dir")] if profiles_dir is not None else []
    if dbt and not explicit and os.environ.get(DBT_PROFILES_ENV):
        explicit = [(Path(os.environ[DBT_PROFILES_ENV]).expanduser(), DBT_PROFILES_ENV)]
    for folder, how in explicit:
        if (folder / PROFILES_FILE).is_file():
            return folder / PROFILES_FILE
        raise ProjectError(
            f"no {PROFILES_FILE} in {how} {folder}",
            path=str(folder / PROFILES_FILE),
            hint=f"point {how} at the folder holding profiles.yml",
            code="no-profile",
        )
    folders = [project_dir, Path.home() / ".pyflow", *([Path.home() / ".dbt"] if dbt else [])]
    for folder in folders:
        if (folder / PROFILES_FILE).is_file():
            return folder / PROFILES_FILE
    return None


def default_target(project_dir: Path) -> Target:
    """DuckDB at <project-dir>/pyflow.duckdb: what a project without profiles.yml runs on."""
    cfg = DuckDBTarget(path=str(project_dir / DEFAULT_DUCKDB_FILE))
    return Target(name="dev", profile=None, config=cfg, source="default")


def load_target(
    project_dir: Path,
    profile_name: str | None,
    target_name: str | None = None,
    profiles_dir: Path | None = None,
) -> Target:
    """Resolve the target to run against.

    Messages point at the project file the profile name came from. A folder holding
    dbt_project.yml (with or without pyflow.yml, whose profiles.yml dbt may share) also uses
    dbt's lookup and accepts dbt adapters' output keys.
    """
    is_dbt = (project_dir / "dbt_project.yml").is_file()
    has_pyflow_yml = (project_dir / "pyflow.yml").is_file()
    project_file = "dbt_project.yml" if is_dbt and not has_pyflow_yml else "pyflow.yml"
    path = find_profiles(project_dir, profiles_dir, dbt=is_dbt)
    if path is None:
        if target_name not in (None, "dev"):
            raise ProjectError(
                f"target '{target_name}' requested but no {PROFILES_FILE} was found",
                path=str(project_dir / PROFILES_FILE),
                hint="create profiles.yml with that target, or drop --target to use the default DuckDB file",
                code="no-profile",
            )
        return default_target(project_dir)
    doc = load_yaml(path, display=str(path))
    data = _mapping(
        doc.data, doc, (), "profiles.yml", "write `<profile name>:` with `target:` and `outputs:`"
    )
    if profile_name is None:
        names = [k for k in data if k != "config"]
        if len(names) != 1:
            raise ProjectError(
                f"{project_file} names no profile and profiles.yml holds "
                f"{len(names)} profiles ({', '.join(map(str, names)) or 'none'})",
                path=project_file,
                hint=f"add `profile: <name>` to {project_file}",
                code="no-profile",
            )
        profile_name = str(names[0])
    if profile_name not in data:
        raise ProjectError(
            f"profile '{profile_name}' is not in {path}",
            path=str(path),
            line=1,
            suggestions=closest(profile_name, [str(k) for k in data]),
            hint=f"add it to profiles.yml or change `profile:` in {project_file}",
            code="no-profile",
        )
    profile = _mapping(
        data[profile_name],
        doc,
        (profile_name,),
        f"profile '{profile_name}'",
        "give it `target:` and `outputs:`",
    )
    outputs = _mapping(
        profile.get("outputs"),
        doc,
        (profile_name, "outputs"),
        "outputs",
        "map each target name to its settings",
    )
    chosen = target_name or render_env(profile.get("target"), str(path), doc, (profile_name, "target"))
    if isinstance(chosen, dict | list):
        raise ProjectError(
            f"`target:` of profile '{profile_name}' must be the name of an output",
            path=str(path),
            line=doc.line_of((profile_name, "target")),
            hint="pick one of: " + ", ".join(map(str, outputs)),
            code="invalid-profile",
        )
    if chosen is None and len(outputs) == 1:
        chosen = next(iter(outputs))
    if chosen not in outputs:
        raise ProjectError(
            f"target '{chosen}' is not an output of profile '{profile_name}'",
            path=str(path),
            line=doc.line_of((profile_name, "outputs")),
            suggestions=closest(str(chosen), [str(k) for k in outputs]),
            hint="pick one of: " + ", ".join(map(str, outputs)),
            code="no-target",
        )
    where = (profile_name, "outputs", chosen)
    output = _mapping(outputs[chosen], doc, where, f"output '{chosen}'", "give it `type:` and its settings")
    raw = render_env(dict(output), str(path), doc, where)
    unused: list[str] = []
    if is_dbt:
        raw, unused = dbt_output(raw, doc, where)
    return Target(
        name=str(chosen),
        profile=profile_name,
        config=_validate_output(raw, doc, (profile_name, "outputs", str(chosen)), project_dir),
        source=str(path),
        unused_keys=tuple(unused),
    )


def _mapping(value: Any, doc: YamlDoc, loc: tuple[Any, ...], what: str, hint: str) -> dict[Any, Any]:
    """``value`` when it is a mapping (empty when absent); else an error naming its line."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProjectError(
            f"{what} must be a mapping of keys, not {type(value).__name__} {value!r:.60}",
            path=doc.display,
            line=doc.line_of(loc),
            hint=hint + " (see docs/configuration.md#profilesyml)",
            code="invalid-profile",
        )
    return value


def _validate_output(
    raw: dict[str, Any], doc: YamlDoc, base: tuple[str, ...], project_dir: Path
) -> AnyTarget:
    kind = raw.get("type")
    if kind not in TARGET_TYPES:
        raise ProjectError(
            f"unknown target type '{kind}'",
            path=doc.display,
            line=doc.line_of((*base, "type")),
            suggestions=closest(str(kind), TARGET_TYPES),
            hint="use one of: " + ", ".join(TARGET_TYPES),
            code="unknown-target-type",
        )
    try:
        # the chosen type's own model: a union would put its tag in error locations
        model = _TARGET_MODELS[str(kind)]
        cfg: AnyTarget = model.model_validate(raw)
    except ValidationError as exc:
        allowed: dict[tuple[str | int, ...], list[str]] = {(): _keys(model)}
        if model is TrinoTarget:
            allowed[("auth",)] = _keys(TrinoAuth)
            allowed[(*base, "auth")] = _keys(TrinoAuth)
        errs = validation_errors(exc, doc, base=base, allowed=allowed, what="profile")
        raise (errs[0] if len(errs) == 1 else ErrorGroup(errs)) from None
    if isinstance(cfg, DuckDBTarget) and cfg.path != ":memory:" and not Path(cfg.path).is_absolute():
        cfg = cfg.model_copy(update={"path": str(project_dir / cfg.path)})
    return cfg


def _keys(model: type[BaseModel]) -> list[str]:
    keys = [f.alias or n for n, f in model.model_fields.items()]
    return [*keys, "catalog"] if model is TrinoTarget else keys
