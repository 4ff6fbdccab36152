"""The blue-green keys of a target output: ``blue_green`` and ``releases`` (config/releaseconfig.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config.profile import load_target
from pyflow.errors import PyflowError

PROFILES = """
shop:
  target: prod
  outputs:
    prod:
      type: {type}
{extra}
"""
ENGINES = {
    "duckdb": "      path: x.duckdb",
    "trino": "      host: h\n      database: memory\n      schema: s",
    "athena": "      s3_staging_dir: s3://b/r/\n      region_name: eu-west-1\n      schema: s",
}


def _target(tmp_path: Path, engine: str, keys: str) -> object:
    (tmp_path / "profiles.yml").write_text(
        PROFILES.format(type=engine, extra=ENGINES[engine] + "\n" + keys), encoding="utf-8"
    )
    return load_target(tmp_path, "shop", None, None).config


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_engine_accepts_the_blue_green_keys(tmp_path: Path, engine: str) -> None:
    cfg = _target(tmp_path, engine, "      blue_green: true\n      releases: {keep: 5, schema: ops}")
    assert cfg.blue_green is True  # type: ignore[attr-defined]
    assert (cfg.releases.keep, cfg.releases.schema_) == (5, "ops")  # type: ignore[attr-defined]


def test_defaults_keep_three_releases_and_are_off(tmp_path: Path) -> None:
    cfg = _target(tmp_path, "duckdb", "")
    assert cfg.blue_green is False  # type: ignore[attr-defined]
    assert (cfg.releases.keep, cfg.releases.schema_) == (3, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("keys", "said", "code"),
    [
        ("      releases: {keep: 0}", "keep", "invalid-config"),
        ("      releases: {kep: 2}", "kep", "unknown-config-key"),
        ("      blue_green: maybe", "blue_green", "invalid-config"),
    ],
)
def test_bad_release_settings_name_the_key(tmp_path: Path, keys: str, said: str, code: str) -> None:
    with pytest.raises(PyflowError) as info:
        _target(tmp_path, "duckdb", keys)
    assert info.value.code == code
    assert said in str(info.value) and "profiles.yml" in str(info.value)
