"""The selection guide and the state/defer/CI guide run as written, with their exact output.

Every ``console`` block of docs/selection.md and docs/state-and-ci.md is a session in one
scratch copy of ``examples/shop`` per page, run in page order: a ``$ pyflow ...`` line runs
the CLI in-process; any other ``$ ...`` line (``cp``, ``sed``) runs in ``bash``. The lines
after a command, up to the next ``$``, are its output, compared exactly (stdout and stderr
as printed); a command followed by no lines is only required to succeed. In
docs/state-and-ci.md the ``profiles.yml`` block is written into the copy first, and the
GitHub Actions workflows' ``run:`` steps that call ``pyflow`` are run where the page says
the jobs run (the upload/download of ``target/`` is the ``cp`` a console block shows).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "__pycache__")


def _blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(info, text, line)`` of each fenced block of ``page``."""
    out, rows = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(rows):
        if rows[i].startswith("```") and rows[i].strip() != "```":
            info, start, body = rows[i][3:].strip(), i + 1, []
            i += 1
            while not rows[i].startswith("```"):
                body.append(rows[i])
                i += 1
            out.append((info, "\n".join(body), start))
        i += 1
    return out


def _session(text: str) -> list[tuple[str, list[str]]]:
    """The commands of a console block, each with the output lines shown under it."""
    out: list[tuple[str, list[str]]] = []
    for row in text.splitlines():
        if row.startswith("$ "):
            out.append((row[2:], []))
        elif out:
            out[-1][1].append(row)
    return out


def _run(folder: Path, command: str, where: str) -> None:
    """Run one documented command in ``folder``, comparing its output when the page shows it."""
    line, shown = command
    if line.startswith("pyflow "):
        from pyflow.cli.main import app

        argv = shlex.split(line, comments=True)[1:]
        result = CliRunner().invoke(app, argv, catch_exceptions=False)
        assert result.exit_code == 0, f"{where}: `{line}` exited {result.exit_code}\n{result.output}"
        got = result.output.splitlines()
    else:
        done = subprocess.run(["bash", "-c", line], cwd=folder, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{where}: `{line}` failed\n{done.stderr}"
        got = done.stdout.splitlines()
    if shown:
        assert got == shown, f"{where}: `{line}` printed\n" + "\n".join(got)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(SHOP, folder, ignore=IGNORE)
    monkeypatch.chdir(folder)
    return folder


def test_selection_guide_runs_with_its_output(shop: Path) -> None:
    page = REPO / "docs" / "selection.md"
    sessions = [(text, line) for info, text, line in _blocks(page) if info == "console"]
    assert len(sessions) >= 15
    for text, line in sessions:
        for command in _session(text):
            _run(shop, command, f"docs/selection.md:{line}")


def _workflow_steps(text: str) -> list[str]:
    """The ``pyflow`` commands of a GitHub Actions workflow's ``run:`` steps, in order."""
    doc = yaml.safe_load(text)
    out = []
    for job in doc["jobs"].values():
        for step in job["steps"]:
            for row in str(step.get("run", "")).splitlines():
                if row.strip().startswith("pyflow "):
                    out.append(row.strip())
    return out


def test_state_and_ci_guide_runs_with_its_output(shop: Path) -> None:
    page = REPO / "docs" / "state-and-ci.md"
    blocks = _blocks(page)
    profiles = [text for info, text, _ in blocks if info == "yaml" and text.startswith("shop:")]
    assert len(profiles) == 1
    (shop / "profiles.yml").write_text(profiles[0] + "\n", encoding="utf-8")
    workflows = {
        yaml.safe_load(text)["name"]: (text, line)
        for info, text, line in blocks
        if info == "yaml" and text.startswith("name:")
    }
    assert sorted(workflows) == ["production", "slim-ci"]
    console = []
    for info, text, line in blocks:
        if info == "console":
            for command in _session(text):
                console.append(command[0])
                _run(shop, command, f"docs/state-and-ci.md:{line}")
    # production's job is the build the page runs first; the pull request's job runs slim CI
    text, line = workflows["production"]
    assert _workflow_steps(text) == ["pyflow build --target prod"] == console[:1]
    text, line = workflows["slim-ci"]
    steps = _workflow_steps(text)
    assert "pyflow build -s state:modified+ --defer --state prod-artifacts/ --target ci" in steps
    for step in steps:
        _run(shop, (step, []), f"docs/state-and-ci.md:{line}")
    # slim CI built only the changed model and its children, in the ci schema
    con = duckdb.connect(str(shop / "pyflow.duckdb"), read_only=True)
    try:
        built = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'ci'"
            ).fetchall()
        }
    finally:
        con.close()
    assert built == {"int_customer_order_summary", "dim_customers"}
