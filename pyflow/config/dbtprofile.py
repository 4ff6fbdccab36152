"""dbt adapters' profiles.yml outputs, read for a dbt project (dbt_project.yml, no pyflow.yml).

dbt-duckdb, dbt-trino and dbt-athena document connection keys pyflow's targets do not have.
For a dbt project they are translated where pyflow has the same setting (dbt-trino's flat
``method: ldap`` + ``password`` is pyflow's ``auth: {method: basic, password}``; ``retries``
is ``num_retries``), and otherwise accepted, left out and listed by ``pyflow debug``
(:data:`UNUSED_OUTPUT_KEYS`). Authentication pyflow cannot do (Kerberos, certificates, OAuth)
is an error, never a silent fallback to no authentication.
"""

from __future__ import annotations

from typing import Any

from pyflow.config.yamlfile import Loc, YamlDoc
from pyflow.errors import ProjectError

UNUSED_OUTPUT_KEYS: dict[str, tuple[str, ...]] = {
    "duckdb": (
        "attach",
        "config_options",
        "disable_transactions",
        "external_root",
        "filesystems",
        "is_ducklake",
        "keep_open",
        "module_paths",
        "plugins",
        "remote",
        "retries",
        "secrets",
        "use_credential_provider",
    ),
    "trino": (
        "cert",
        "client_tags",
        "http_headers",
        "prepared_statements_enabled",
        "roles",
        "suppress_cert_warning",
        "timezone",
    ),
    "athena": (
        "debug_query_state",
        "emr_job_execution_role_arn",
        "lf_tags_database",
        "num_boto3_retries",
        "num_iceberg_retries",
        "s3_expected_bucket_owner",
        "s3_tmp_table_dir",
        "seed_s3_upload_args",
        "skip_workgroup_check",
        "spark_work_group",
    ),
}
"""Keys of dbt adapters' outputs that pyflow accepts in a dbt project without acting on them."""

_TRINO_AUTH = {"none": "none", "ldap": "basic", "jwt": "jwt"}


def dbt_output(raw: dict[str, Any], doc: YamlDoc, loc: Loc) -> tuple[dict[str, Any], list[str]]:
    """A dbt adapter's output as pyflow's target settings, and the keys left out (in file order)."""
    kind = raw.get("type")
    unused = [k for k in raw if k in UNUSED_OUTPUT_KEYS.get(str(kind), ())]
    out = {k: v for k, v in raw.items() if k not in unused}
    if kind == "trino":
        out = _trino(out, doc, loc)
    if kind in ("trino", "athena") and "retries" in out and "num_retries" not in out:
        out["num_retries"] = out.pop("retries")
    return out, unused


def _trino(raw: dict[str, Any], doc: YamlDoc, loc: Loc) -> dict[str, Any]:
    """dbt-trino's flat ``method`` / ``password`` / ``jwt_token`` as pyflow's ``auth:``."""
    if "method" not in raw or "auth" in raw:
        return raw
    out = dict(raw)
    method = str(out.pop("method"))
    if method not in _TRINO_AUTH:
        raise ProjectError(
            f"Trino authentication method '{method}' is not supported",
            path=doc.display,
            line=doc.line_of((*loc, "method")),
            hint="use method none, ldap (user + password) or jwt (jwt_token); see docs/deploying-trino.md",
            code="invalid-profile",
        )
    auth: dict[str, Any] = {"method": _TRINO_AUTH[method]}
    if method == "ldap" and "password" in out:
        auth["password"] = out.pop("password")
    if method == "jwt" and "jwt_token" in out:
        auth["token"] = out.pop("jwt_token")
    if method != "none":
        out["http_scheme"] = "https"  # dbt-trino always uses HTTPS with credentials
    out["auth"] = auth
    return out
