"""`pyflow compile` of an unchanged project answers from the witness of the last compile.

Each test compiles twice (the second compile, all from the compile cache, writes the witness),
changes one thing, and checks whether the third compile loaded the project (a Session was
opened) and that what it printed and wrote equals what the full path prints and writes.
``RACY_NS`` is 0 here (files written by the test are seconds old at most); one test keeps it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pyflow.runner import compilewitness
from pyflow.runner.session import Session

WITNESS = Path("target/.pyflow/compile-witness.json")
INCREMENTAL = """\
{{ config(materialized='incremental', unique_key='id') }}
select id, amount from {{ ref('raw_orders') }}
{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}
"""


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The Sessions opened (a compile answered from the witness opens none)."""
    opened: list[Any] = []
    init = Session.__init__

    def counting(self: Session, *args: Any, **kwargs: Any) -> None:
        opened.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(Session, "__init__", counting)
    monkeypatch.setattr(compilewitness, "RACY_NS", 0)
    return opened


@pytest.fixture
def warm(copy_project, pyflow, sessions):
    """``warm()``: the mixed project compiled twice (the witness written), no session counted yet.

    Called in the test itself, not in a fixture: pytest's ``PYTEST_CURRENT_TEST`` variable
    differs between a fixture and the test, and the environment is part of the witness.
    """

    def compiled_twice() -> Path:
        project = copy_project("mixed")
        pyflow("compile", "--project-dir", project)
        pyflow("compile", "--project-dir", project)
        assert (project / WITNESS).is_file()
        sessions.clear()
        return project

    return compiled_twice


def _manifest(project: Path) -> dict[str, Any]:
    data = json.loads((project / "target/manifest.json").read_text())
    meta = data.pop("metadata")
    return {"meta": {k: v for k, v in meta.items() if k not in ("invocation_id", "generated_at")}, **data}


def _compiled(project: Path) -> dict[str, str]:
    base = project / "target/compiled"
    return {p.relative_to(base).as_posix(): p.read_text() for p in sorted(base.rglob("*.sql"))}


def test_unchanged_project_answers_from_the_witness_as_the_full_path_would(warm, pyflow, sessions):
    project = warm()
    full = pyflow("compile", "--project-dir", project, "--select", "stg_orders")  # another selection
    assert len(sessions) == 1
    slow = pyflow("compile", "--project-dir", project)  # full path again for the whole project
    assert len(sessions) == 2
    assert "Compiled 5 model(s) (5 unchanged) to " in slow.stdout
    slow_manifest, slow_sql = _manifest(project), _compiled(project)
    slow_id = json.loads((project / "target/manifest.json").read_text())["metadata"]["invocation_id"]
    sessions.clear()

    result = pyflow("compile", "--project-dir", project)

    assert sessions == []  # the project was not loaded
    assert (result.stdout, result.stderr) == (slow.stdout, slow.stderr)
    assert _manifest(project) == slow_manifest and _compiled(project) == slow_sql
    meta = json.loads((project / "target/manifest.json").read_text())["metadata"]
    assert meta["invocation_id"] != slow_id  # a new invocation, as any compile writes
    log = (project / "logs/pyflow.log").read_text().splitlines()
    assert f"invocation {meta['invocation_id']} in {project.resolve()} (target dev)" in log[-2]
    assert "answered from target/.pyflow/compile-witness.json" in log[-1]
    assert "Compiled 1 model(s)" in full.stdout

    again = pyflow("compile", "--project-dir", project, "-q")  # and again: the witness follows the manifest
    assert sessions == [] and again.stdout == ""


def test_an_edit_of_the_same_size_and_time_is_seen(warm, pyflow, sessions):
    warm = warm()
    model = warm / "models/marts/big_spenders.sql"
    text = model.read_text()
    st = model.stat()
    edited = text.replace("where total >=", "where total  >")
    assert len(edited) == len(text)
    model.write_text(edited)
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `cp -p` or a restore would leave it

    result = pyflow("compile", "--project-dir", warm)

    assert len(sessions) == 1
    assert "(4 unchanged)" in result.stdout
    assert "where total  >" in (warm / "target/compiled/mixed/models/marts/big_spenders.sql").read_text()


@pytest.mark.parametrize(
    "change",
    ["new file", "removed file", "readme", "env var", "vars", "selection", "output edited", "output removed",
     "home profile", "pyflow itself"],
)  # fmt: skip
def test_any_change_takes_the_full_path(warm, pyflow, sessions, monkeypatch, tmp_path, change):
    warm = warm()
    args: list[str] = []
    if change == "new file":
        (warm / "models/marts/extra.sql").write_text("select 1 as x\n")
    elif change == "removed file":
        (warm / "models/marts/big_spenders.sql").unlink()
    elif change == "readme":
        (warm / "README.md").write_text("notes\n")
    elif change == "env var":
        monkeypatch.setenv("PYFLOW_WITNESS_TEST", "1")
    elif change == "vars":
        args = ["--vars", "{big_spender_min: 100}"]
    elif change == "selection":
        args = ["--select", "stg_orders+"]
    elif change == "output edited":
        (warm / "target/compiled/mixed/models/marts/big_spenders.sql").write_text("select 'stale'\n")
    elif change == "output removed":
        (warm / "target/manifest.json").unlink()
    elif change == "home profile":
        monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path / "home"))
        (tmp_path / "home/.pyflow").mkdir(parents=True)
        (tmp_path / "home/.pyflow/profiles.yml").write_text(
            "other: {target: dev, outputs: {dev: {type: duckdb}}}\n"
        )
    else:
        monkeypatch.setattr(compilewitness, "toolchain", lambda: "an upgraded pyflow")

    result = pyflow("compile", "--project-dir", warm, *args)

    assert len(sessions) == 1, f"{change}: the project was not loaded"
    assert "Compiled" in result.stdout
    assert (warm / "target/manifest.json").is_file()
    if change == "new file":
        assert (warm / "target/compiled/mixed/models/marts/extra.sql").is_file()
    if change == "output edited":
        assert "stale" not in (warm / "target/compiled/mixed/models/marts/big_spenders.sql").read_text()
    if change == "vars":
        assert (
            "where total >= 100" in (warm / "target/compiled/mixed/models/marts/big_spenders.sql").read_text()
        )


def test_warnings_are_printed_again(copy_project, pyflow, sessions):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project, "-s", "nosuch")
    slow = pyflow("compile", "--project-dir", project, "-s", "nosuch")
    assert "nosuch" in slow.stderr
    sessions.clear()

    fast = pyflow("compile", "--project-dir", project, "-s", "nosuch")

    assert sessions == []
    assert (fast.stdout, fast.stderr) == (slow.stdout, slow.stderr)


def test_no_witness_after_a_compile_that_asked_the_database(make_project, pyflow, sessions):
    # whether an incremental model builds incrementally is the database's answer: a witness of
    # the project's files could not see the table being dropped
    project = make_project(
        {"seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n", "models/orders_inc.sql": INCREMENTAL}
    )
    pyflow("build", "--project-dir", project)
    pyflow("compile", "--project-dir", project)
    pyflow("compile", "--project-dir", project)

    assert not (project / WITNESS).exists()


def test_no_witness_after_a_compile_that_compiled_or_failed(copy_project, pyflow, sessions):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)
    assert not (project / WITNESS).exists()  # compiled anew: a second compile must confirm
    pyflow("compile", "--project-dir", project)
    assert (project / WITNESS).exists()
    bad = project / "models/marts/big_spenders.sql"
    bad.write_text("select * from {{ ref('no_such_model') }}\n")

    pyflow("compile", "--project-dir", project, expect=1)
    pyflow("compile", "--project-dir", project, expect=1)

    assert not (project / WITNESS).exists()


def test_no_witness_while_project_files_are_fresh(copy_project, pyflow, sessions, monkeypatch):
    monkeypatch.setattr(compilewitness, "RACY_NS", 2_000_000_000)
    project = copy_project("mixed")  # written a moment ago: an edit in the same clock tick could hide
    pyflow("compile", "--project-dir", project)
    pyflow("compile", "--project-dir", project)

    assert not (project / WITNESS).exists()


def test_no_witness_with_state_or_debug(copy_project, pyflow, sessions):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)
    state = project / "state"
    state.mkdir()
    (state / "manifest.json").write_text((project / "target/manifest.json").read_text())
    pyflow("compile", "--project-dir", project, "--state", state)

    pyflow("compile", "--project-dir", project, "--state", state)
    assert not (project / WITNESS).exists()
    pyflow("compile", "--project-dir", project, "--debug")
    assert not (project / WITNESS).exists()


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_source_read_from_files_outside_the_project_leaves_no_witness(
    make_project, pyflow, sessions, tmp_path, where
):
    # a source's files give its models their columns without connecting to the target; files
    # outside the project folder are not walked, so a change there could not be seen
    outside = tmp_path / "shared" / "payments.csv"
    outside.parent.mkdir()
    outside.write_text("payment_id,amount\n1,5\n")
    location = "data/payments.csv" if where == "inside" else str(outside)
    project = make_project(
        {
            "data/payments.csv": "payment_id,amount\n1,5\n",
            "models/sources.yml": f"sources:\n  - name: bank\n    tables:\n      - name: payments\n"
            f"        external_location: {location}\n",
            "models/paid.py": "from pyflow import model\n\n\n@model\ndef paid(payments):\n"
            "    return payments.filter(payments.amount > 0)\n",
        }
    )
    pyflow("compile", "--project-dir", project)
    pyflow("compile", "--project-dir", project)

    assert (project / WITNESS).exists() == (where == "inside")


def test_a_selection_loaded_alone_leaves_the_manifest_as_the_full_path_does(copy_project, pyflow, sessions):
    # `-s stg_orders` loads only what the selection needs, and such a compile keeps the
    # manifest of the whole project as it was: the replay must not renew it either
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)
    pyflow("compile", "--project-dir", project, "-s", "stg_orders")
    pyflow("compile", "--project-dir", project, "-s", "stg_orders")
    assert sessions[-1].project.partial
    assert (project / WITNESS).exists()
    manifest = (project / "target/manifest.json").read_bytes()
    sessions.clear()

    result = pyflow("compile", "--project-dir", project, "-s", "stg_orders")

    assert sessions == []
    assert "Compiled 1 model(s) (1 unchanged)" in result.stdout
    assert (project / "target/manifest.json").read_bytes() == manifest


def test_an_unchanged_compile_of_one_named_node_prints_its_sql_again(copy_project, pyflow, sessions):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project, "-q", "-s", "big_spenders")
    slow = pyflow("compile", "--project-dir", project, "-q", "-s", "big_spenders")
    assert (project / WITNESS).exists()
    sessions.clear()

    fast = pyflow("compile", "--project-dir", project, "-q", "-s", "big_spenders")
    loud = pyflow("compile", "--project-dir", project, "-s", "big_spenders")

    assert sessions == []  # both answered by the witness
    assert "where total >= 40" in slow.stdout
    assert fast.stdout == slow.stdout
    assert (
        loud.stdout == f"Compiled 1 model(s) (1 unchanged) to {project / 'target' / 'compiled'}\n"
        f"Compiled node 'big_spenders' is:\n{slow.stdout}"
    )
