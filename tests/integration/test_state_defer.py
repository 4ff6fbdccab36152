"""``--state`` and ``--defer`` end to end: dbt's slim CI on two DuckDB schemas of one file.

The project builds into schema ``prod`` (target prod) or ``dev`` (target dev, the default)::

    raw (seed) -> base (SQL view) -> doubled (Python table) -> final (SQL view)
                                  -> other (SQL view)

Production is built and its target/ kept as ``prod-artifacts``; CI changes one model and
runs ``build -s state:modified+ --defer --state prod-artifacts`` against dev.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FILES = {
    "pyflow.yml": "name: shop\nprofile: shop\n",
    "profiles.yml": """
        shop:
          target: dev
          outputs:
            prod: {type: duckdb, path: pyflow.duckdb, schema: prod}
            dev: {type: duckdb, path: pyflow.duckdb, schema: dev}
        """,
    "seeds/raw.csv": "id,v\n1,10\n2,20\n",
    "models/base.sql": "select id, v from {{ ref('raw') }}\n",
    "models/other.sql": "select id from {{ ref('base') }}\n",
    "models/doubled.py": """
        import ibis
        from pyflow import model


        @model(materialized="table")
        def doubled(base: ibis.Table) -> ibis.Table:
            return base.mutate(v2=base.v * 2)
        """,
    "models/final.sql": "select id, v2 from {{ ref('doubled') }}\n",
    "models/schema.yml": """
        models:
          - name: final
            columns:
              - name: id
                tests: [unique]
        """,
}


@pytest.fixture
def prod(make_project, pyflow) -> tuple[Path, Path]:
    """The project built on prod, with prod's artifacts copied aside (as a CI job keeps them)."""
    project = make_project(FILES)
    pyflow("build", "--project-dir", project, "--target", "prod")
    state = project.parent / f"{project.name}-prod-artifacts"
    shutil.copytree(project / "target", state)
    return project, state


def _names(result) -> list[str]:
    return result.stdout.split()


def _relations(warehouse, project: Path, schema: str) -> set[str]:
    return {r.split(".")[1] for r in warehouse(project).relations() if r.startswith(f"{schema}.")}


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_ci_builds_only_the_modified_model_and_its_children_against_prod(prod, pyflow, warehouse):
    project, state = prod
    _edit(project, "models/doubled.py", "base.v * 2", "base.v * 3")

    pyflow("build", "--project-dir", project, "-s", "state:modified+", "--defer", "--state", state)

    # only doubled, final (and final's test) ran: dev holds nothing else
    assert _relations(warehouse, project, "dev") == {"doubled", "final"}
    rows = warehouse(project).rows("select id, v2 from dev.final order by id")
    assert rows == [(1, 30), (2, 60)]  # read prod.base, which dev does not have
    compiled = (project / "target/compiled/shop/models/doubled.sql").read_text(encoding="utf-8")
    assert '"prod"."base"' in compiled
    assert warehouse(project).rows("select max(v2) from prod.doubled") == [(40,)]  # prod untouched


def test_without_defer_the_unbuilt_parent_is_read_from_the_current_target(prod, pyflow):
    project, state = prod
    _edit(project, "models/doubled.py", "base.v * 2", "base.v * 3")

    result = pyflow("build", "--project-dir", project, "-s", "state:modified+", "--state", state, expect=1)

    assert '"dev"."base"' in (project / "target/compiled/shop/models/doubled.sql").read_text(encoding="utf-8")
    assert "ERROR=1" in result.stdout


def test_a_parent_built_in_the_current_target_is_read_there_unless_favor_state(prod, pyflow):
    project, state = prod
    pyflow("run", "--project-dir", project, "-s", "base", "--defer", "--state", state)  # reads prod.raw
    compiled = project / "target/compiled/shop/models/other.sql"

    pyflow("compile", "--project-dir", project, "-s", "other", "--defer", "--state", state)
    assert '"dev"."base"' in compiled.read_text(encoding="utf-8")

    pyflow("compile", "--project-dir", project, "-s", "other", "--favor-state", "--state", state)
    assert '"prod"."base"' in compiled.read_text(encoding="utf-8")


def test_test_command_defers_the_tested_model(prod, pyflow, warehouse):
    project, state = prod

    result = pyflow("test", "--project-dir", project, "-s", "final", "--defer", "--state", state)

    assert "PASS=1" in result.stdout
    assert _relations(warehouse, project, "dev") == set()


@pytest.mark.parametrize(
    ("edit", "criterion", "expected"),
    [
        (("models/other.sql", "select id", "select id, v"), "state:modified.body", ["other"]),
        (("models/doubled.py", '"table"', '"view"'), "state:modified.configs", ["doubled"]),
        (("models/doubled.py", '"table"', '"table", alias="twice"'), "state:modified.relation", ["doubled"]),
        (("models/other.sql", "select id", "select id, v"), "state:modified+", ["other"]),
        (("models/doubled.py", "* 2", "* 4"), "state:modified+", ["doubled", "final", "unique_final_id"]),
        (("models/other.sql", "", ""), "state:modified", []),
    ],
)
def test_ls_lists_what_changed_since_the_state(prod, pyflow, edit, criterion, expected):
    project, state = prod
    _edit(project, *edit)

    result = pyflow("ls", "--project-dir", project, "-s", criterion, "--state", state)

    assert sorted(_names(result)) == expected


def test_a_new_model_is_state_new(prod, pyflow):
    project, state = prod
    (project / "models/extra.sql").write_text("select 1 as x\n", encoding="utf-8")

    result = pyflow("ls", "--project-dir", project, "-s", "state:new", "--state", state)

    assert _names(result) == ["extra"]


def test_state_selector_without_state_says_how_to_fix(prod, pyflow):
    project, _ = prod
    result = pyflow("ls", "--project-dir", project, "-s", "state:modified+", expect=1)

    assert "no --state was given" in result.stderr
    assert "[state-required]" in result.stderr


def test_defer_without_state_says_how_to_fix(prod, pyflow):
    project, _ = prod
    result = pyflow("run", "--project-dir", project, "--defer", expect=1)

    assert "--defer reads unselected parents" in result.stderr
    assert "Fix: pass --state DIR" in result.stderr
    assert "[state-required]" in result.stderr


def test_state_folder_or_manifest_missing_is_a_clear_error(prod, pyflow, tmp_path):
    project, _ = prod
    result = pyflow("ls", "--project-dir", project, "--state", tmp_path / "nowhere", expect=1)
    assert "is not a folder" in result.stderr
    assert "[state-not-found]" in result.stderr

    (tmp_path / "empty").mkdir()
    result = pyflow("ls", "--project-dir", project, "--state", tmp_path / "empty", expect=1)
    assert "holds no manifest.json" in result.stderr
    assert "Fix: keep the target/ folder" in result.stderr

    (tmp_path / "empty" / "manifest.json").write_text("{not json", encoding="utf-8")
    result = pyflow("ls", "--project-dir", project, "--state", tmp_path / "empty", expect=1)
    assert "[state-invalid]" in result.stderr


def test_clone_creates_views_of_the_state_relations(prod, pyflow, warehouse):
    project, state = prod

    result = pyflow("clone", "--project-dir", project, "--state", state, "-s", "base", "doubled")

    assert "OK cloned model dev.doubled" in result.stdout
    relations = warehouse(project).relations()
    assert {r: k for r, k in relations.items() if r.startswith("dev.")} == {
        "dev.base": "VIEW",
        "dev.doubled": "VIEW",
    }
    assert warehouse(project).rows("select max(v2) from dev.doubled") == [(40,)]


def test_clone_keeps_an_existing_relation_unless_full_refresh(prod, pyflow, warehouse):
    project, state = prod
    pyflow("run", "--project-dir", project, "-s", "doubled", "--defer", "--state", state)  # a dev table

    result = pyflow("clone", "--project-dir", project, "--state", state, "-s", "doubled")
    assert "OK kept existing model dev.doubled" in result.stdout
    assert warehouse(project).relations()["dev.doubled"] == "BASE TABLE"

    pyflow("clone", "--project-dir", project, "--state", state, "-s", "doubled", "--full-refresh")
    assert warehouse(project).relations()["dev.doubled"] == "VIEW"


def test_clone_without_state_says_how_to_fix(prod, pyflow):
    project, _ = prod
    result = pyflow("clone", "--project-dir", project, expect=1)

    assert "[state-required]" in result.stderr
    assert "Fix: pass --state DIR" in result.stderr


def test_result_selects_by_the_status_of_the_state_run(prod, pyflow):
    project, state = prod
    assert sorted(_names(pyflow("ls", "--project-dir", project, "-s", "result:pass", "--state", state))) == [
        "unique_final_id"
    ]
    _edit(project, "models/doubled.py", "base.v * 2", "base.nope * 2")
    pyflow("build", "--project-dir", project, "--defer", "--state", state, expect=1)
    last = project.parent / f"{project.name}-last-run"
    shutil.copytree(project / "target", last)

    failed = pyflow("ls", "--project-dir", project, "-s", "result:error+", "--state", last)
    skipped = pyflow("ls", "--project-dir", project, "-s", "result:skipped", "--state", last)

    assert sorted(_names(failed)) == ["doubled", "final", "unique_final_id"]
    assert sorted(_names(skipped)) == ["final", "unique_final_id"]


def test_result_without_run_results_says_so(prod, pyflow):
    project, state = prod
    (state / "run_results.json").unlink()

    result = pyflow("ls", "--project-dir", project, "-s", "result:error", "--state", state, expect=1)

    assert "holds no run_results.json" in result.stderr
    assert "[state-not-found]" in result.stderr


def test_defer_state_defers_to_another_manifest_than_state(prod, pyflow, warehouse):
    """``--state`` (the last CI run) picks what changed; ``--defer-state`` (production) is read."""
    project, prod_state = prod
    _edit(project, "models/doubled.py", "base.v * 2", "base.v * 3")
    pyflow("compile", "--project-dir", project)  # the last CI run's manifest, on dev
    last_ci = project.parent / f"{project.name}-last-ci"
    shutil.copytree(project / "target", last_ci)
    _edit(project, "models/other.sql", "select id", "select id, v")

    pyflow("build", "--project-dir", project, "-s", "state:modified+", "--state", last_ci,
           "--defer", "--defer-state", prod_state)  # fmt: skip

    assert _relations(warehouse, project, "dev") == {"other"}
    assert '"prod"."base"' in (project / "target/compiled/shop/models/other.sql").read_text(encoding="utf-8")
    assert warehouse(project).rows("select id, v from dev.other order by id") == [(1, 10), (2, 20)]


def test_defer_to_state_alone_reads_the_ci_manifest_relations(prod, pyflow):
    """Without --defer-state the same build defers to the last CI run, which built nothing on dev."""
    project, _ = prod
    pyflow("compile", "--project-dir", project)
    last_ci = project.parent / f"{project.name}-last-ci"
    shutil.copytree(project / "target", last_ci)
    _edit(project, "models/other.sql", "select id", "select id, v")

    result = pyflow("build", "--project-dir", project, "-s", "state:modified+", "--state", last_ci,
                    "--defer", expect=1)  # fmt: skip

    assert '"dev"."base"' in (project / "target/compiled/shop/models/other.sql").read_text(encoding="utf-8")
    assert "ERROR=1" in result.stdout


def test_defer_state_without_state_defers_alone(prod, pyflow, warehouse):
    project, prod_state = prod

    pyflow("run", "--project-dir", project, "-s", "other", "--defer", "--defer-state", prod_state)

    assert _relations(warehouse, project, "dev") == {"other"}


def test_retry_replays_state_and_defer_of_the_failed_build(prod, pyflow, warehouse, run_results):
    project, state = prod
    _edit(project, "models/doubled.py", "base.v * 2", "base.nope * 2")
    pyflow("build", "--project-dir", project, "-s", "state:modified+", "--defer", "--state", state, expect=1)
    _edit(project, "models/doubled.py", "base.nope * 2", "base.v * 3")

    result = pyflow("retry", "--project-dir", project)

    assert f"--state {state.resolve().as_posix()} --defer`" in result.stdout
    # doubled read prod.base: without --defer it would read dev.base, which does not exist
    assert _relations(warehouse, project, "dev") == {"doubled", "final"}
    assert warehouse(project).rows("select id, v2 from dev.final order by id") == [(1, 30), (2, 60)]
    args = json.loads((project / "target/run_results.json").read_text(encoding="utf-8"))["args"]
    assert (args["state"], args["defer"], args["defer_state"], args["favor_state"]) == (
        state.resolve().as_posix(), True, None, False,
    )  # fmt: skip
    statuses = {name: r["status"] for name, r in run_results(project).items()}
    assert statuses == {"doubled": "success", "final": "success", "unique_final_id": "pass"}
