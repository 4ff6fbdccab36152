"""profiles.yml as dbt's adapters write it, read for a dbt project (dbt_project.yml, no pyflow.yml)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pyflow.config.profile import AthenaTarget, DuckDBTarget, TrinoTarget, load_target
from pyflow.errors import ProjectError


@pytest.fixture
def dbt_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "dbt_project.yml").write_text("name: proj\nprofile: p\n", encoding="utf-8")
    return root


def _profile(root: Path, output: str) -> None:
    body = textwrap.indent(textwrap.dedent(output).strip(), " " * 6)
    (root / "profiles.yml").write_text(f"p:\n  target: dev\n  outputs:\n    dev:\n{body}\n", encoding="utf-8")


def test_dbt_trino_ldap_output_becomes_basic_auth_over_https(dbt_project: Path) -> None:
    _profile(
        dbt_project,
        """
        type: trino
        method: ldap
        user: ana
        password: s3cret
        host: trino.example.com
        port: 443
        database: lake
        schema: analytics
        retries: 7
        roles: {system: analyst}
        cert: /etc/ssl/ca.pem
        """,
    )

    target = load_target(dbt_project, "p")

    cfg = target.config
    assert isinstance(cfg, TrinoTarget)
    assert (cfg.auth.method, cfg.http_scheme, cfg.user, cfg.num_retries) == ("basic", "https", "ana", 7)
    assert cfg.auth.password is not None and cfg.auth.password.get_secret_value() == "s3cret"
    assert target.unused_keys == ("roles", "cert")


def test_dbt_trino_jwt_output_becomes_jwt_auth(dbt_project: Path) -> None:
    _profile(
        dbt_project,
        """
        type: trino
        method: jwt
        jwt_token: tok
        host: trino.example.com
        port: 443
        database: lake
        schema: analytics
        """,
    )

    cfg = load_target(dbt_project, "p").config

    assert isinstance(cfg, TrinoTarget)
    assert cfg.auth.method == "jwt" and cfg.auth.token is not None
    assert cfg.auth.token.get_secret_value() == "tok"


def test_dbt_trino_kerberos_is_an_error_naming_the_line(dbt_project: Path) -> None:
    _profile(
        dbt_project,
        """
        type: trino
        method: kerberos
        user: ana
        host: trino.example.com
        port: 443
        database: lake
        schema: analytics
        """,
    )

    with pytest.raises(ProjectError) as info:
        load_target(dbt_project, "p")

    assert info.value.code == "invalid-profile"
    assert info.value.line == 6 and "kerberos" in info.value.message


def test_dbt_duckdb_keys_are_accepted_and_listed(dbt_project: Path) -> None:
    _profile(
        dbt_project,
        """
        type: duckdb
        path: dev.duckdb
        threads: 2
        external_root: data/out
        plugins: [{module: excel}]
        extensions: [httpfs]
        """,
    )

    target = load_target(dbt_project, "p")

    assert isinstance(target.config, DuckDBTarget)
    assert target.config.path == str(dbt_project / "dev.duckdb")
    assert target.unused_keys == ("external_root", "plugins")


def test_dbt_athena_keys_are_accepted_and_listed(dbt_project: Path) -> None:
    _profile(
        dbt_project,
        """
        type: athena
        s3_staging_dir: s3://bucket/staging/
        s3_data_dir: s3://bucket/data/
        region_name: eu-west-1
        database: awsdatacatalog
        schema: analytics
        work_group: primary
        poll_interval: 0.5
        num_retries: 3
        num_boto3_retries: 5
        s3_tmp_table_dir: s3://bucket/tmp/
        """,
    )

    target = load_target(dbt_project, "p")

    assert isinstance(target.config, AthenaTarget) and target.config.num_retries == 3
    assert target.config.poll_interval == 0.5  # acted on: the cap of pyflow's polling schedule
    assert target.unused_keys == ("num_boto3_retries", "s3_tmp_table_dir")


def test_dbt_output_keys_stay_errors_in_a_pyflow_project(dbt_project: Path) -> None:
    (dbt_project / "pyflow.yml").write_text("name: proj\nprofile: p\n", encoding="utf-8")
    (dbt_project / "dbt_project.yml").unlink()
    _profile(dbt_project, "type: duckdb\npath: dev.duckdb\nexternal_root: data/out\n")

    with pytest.raises(ProjectError) as info:
        load_target(dbt_project, "p")

    assert info.value.code == "unknown-config-key" and "external_root" in info.value.message


def test_a_dbt_project_without_profile_names_dbt_project_yml(dbt_project: Path) -> None:
    (dbt_project / "dbt_project.yml").write_text("name: proj\n", encoding="utf-8")
    (dbt_project / "profiles.yml").write_text(
        "a: {outputs: {dev: {type: duckdb}}}\nb: {outputs: {dev: {type: duckdb}}}\n", encoding="utf-8"
    )

    with pytest.raises(ProjectError) as info:
        load_target(dbt_project, None)

    assert info.value.path == "dbt_project.yml"
    assert "add `profile: <name>` to dbt_project.yml" in (info.value.hint or "")


def test_dbt_output_keys_are_accepted_when_pyflow_yml_sits_beside_dbt_project_yml(dbt_project: Path) -> None:
    (dbt_project / "pyflow.yml").write_text("name: proj\nprofile: p\n", encoding="utf-8")
    _profile(dbt_project, "type: duckdb\npath: dev.duckdb\nexternal_root: data/out\n")

    assert load_target(dbt_project, "p").unused_keys == ("external_root",)
