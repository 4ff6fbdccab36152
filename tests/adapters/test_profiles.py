"""Trino and Athena outputs in profiles.yml: validation, suggestions, masked secrets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pyflow.config.profile import AthenaTarget, TrinoTarget, load_target
from pyflow.errors import ProjectError

CANARY = "canary-Pw-9f3e1d"


def _project(tmp_path: Path, outputs: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "project"
    root.mkdir()
    text = "p:\n  target: prod\n  outputs:\n" + textwrap.indent(textwrap.dedent(outputs), "    ")
    (root / "profiles.yml").write_text(text, encoding="utf-8")
    return root


def test_trino_profile_reads_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRINO_PASSWORD", CANARY)
    root = _project(
        tmp_path,
        """
        prod:
          type: trino
          host: trino.internal
          port: 8443
          user: etl
          catalog: hive
          schema: analytics
          http_scheme: https
          auth: {method: basic, password: "{{ env_var('TRINO_PASSWORD') }}"}
          threads: 8
          session_properties: {query_max_run_time: 1h}
        """,
        monkeypatch,
    )
    target = load_target(root, "p")
    cfg = target.config
    assert isinstance(cfg, TrinoTarget)
    assert (cfg.host, cfg.port, cfg.user, cfg.database, cfg.schema_) == (
        "trino.internal",
        8443,
        "etl",
        "hive",
        "analytics",
    )
    assert cfg.auth.method == "basic" and cfg.auth.password is not None
    assert cfg.auth.password.get_secret_value() == CANARY
    assert target.threads == 8 and target.schema_name == "analytics" and target.type == "trino"
    shown = target.public_dict()
    assert shown["auth"] == {"method": "basic", "password": "**********", "token": None}
    assert CANARY not in repr(shown) and CANARY not in repr(target) and CANARY not in str(cfg)


def test_athena_profile_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(
        tmp_path,
        """
        prod:
          type: athena
          s3_staging_dir: s3://bucket/athena-results/
          region_name: eu-west-1
          schema: shop
        """,
        monkeypatch,
    )
    cfg = load_target(root, "p").config
    assert isinstance(cfg, AthenaTarget)
    assert cfg.database == "awsdatacatalog"
    assert cfg.s3_data_naming == "schema_table_unique"
    assert cfg.work_group is None and cfg.num_retries == 5 and cfg.threads == 4


def test_athena_profile_unknown_key_suggests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(
        tmp_path,
        """
        prod:
          type: athena
          s3_staging_dir: s3://bucket/athena-results/
          region_name: eu-west-1
          schema: shop
          workgroup: primary
        """,
        monkeypatch,
    )
    with pytest.raises(ProjectError) as info:
        load_target(root, "p")
    text = str(info.value)
    assert "unknown profile key 'workgroup'" in text and "work_group" in text
    assert "profiles.yml" in text


def test_athena_profile_rejects_unknown_data_naming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(
        tmp_path,
        """
        prod:
          type: athena
          s3_staging_dir: s3://bucket/athena-results/
          region_name: eu-west-1
          schema: shop
          s3_data_naming: per_table
        """,
        monkeypatch,
    )
    with pytest.raises(ProjectError) as info:
        load_target(root, "p")
    assert "s3_data_naming" in str(info.value)


def test_trino_basic_auth_without_password_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path,
        """
        prod: {type: trino, host: h, database: hive, schema: s, auth: {method: basic}}
        """,
        monkeypatch,
    )
    with pytest.raises(ProjectError) as info:
        load_target(root, "p")
    assert "password" in str(info.value)


def test_trino_auth_unknown_key_suggests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(
        tmp_path,
        """
        prod: {type: trino, host: h, database: hive, schema: s, auth: {method: jwt, tokn: x}}
        """,
        monkeypatch,
    )
    with pytest.raises(ProjectError) as info:
        load_target(root, "p")
    assert "tokn" in str(info.value) and "token" in str(info.value)


def test_unknown_target_type_lists_the_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, "prod: {type: trinno, host: h}\n", monkeypatch)
    with pytest.raises(ProjectError) as info:
        load_target(root, "p")
    assert "trino" in str(info.value) and "athena" in str(info.value)
