"""A canary password set through env_var never reaches logs, artifacts, compiled SQL or errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.adapters.trino import TrinoAdapter
from tests.adapters.recording import copy_example

CANARY = "canary-7c1f-PASSWORD-e94b"


def _everything_under(folder: Path) -> dict[str, str]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix != ".parquet" and not path.name.endswith(".duckdb"):
            out[str(path.relative_to(folder))] = path.read_text(encoding="utf-8", errors="replace")
    return out


def test_canary_password_never_leaks(
    cli, tmp_path: Path, remote_profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYFLOW_CANARY_PASSWORD", CANARY)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def leaky_driver(self: TrinoAdapter) -> None:
        # the worst a driver does: echo the credentials in its message
        raise ConnectionError(f"401 Unauthorized for https://etl:{CANARY}@trino.invalid:8080/v1/statement")

    monkeypatch.setattr(TrinoAdapter, "connect", leaky_driver)
    project = copy_example("shop", tmp_path)
    args = ("--project-dir", str(project), "--profiles-dir", str(remote_profiles), "--target", "trino")

    compiled = cli("compile", *args)
    debug = cli("debug", *args)
    run = cli("run", *args)

    assert compiled.exit_code == 0, compiled.output
    assert debug.exit_code == 1 and "connection-failed" in debug.output
    assert "'password': '**********'" in debug.output
    assert run.exit_code != 0
    for result in (compiled, debug, run):
        assert CANARY not in result.output
    files = _everything_under(project)
    assert any(name.startswith("target/compiled/") for name in files)
    assert any(name.startswith("logs/") for name in files)
    assert "target/manifest.json" in files
    leaked = [name for name, text in files.items() if CANARY in text]
    assert leaked == []
