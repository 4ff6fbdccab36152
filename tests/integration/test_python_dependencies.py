"""A Python model's output depends on more than its function: module code and project helpers.

Found trying the shop example as a user: a model read a module-level ``STATUS_MAP``; after
editing it, ``pyflow compile`` said every model was unchanged and kept the old SQL (its compile
key was its function's source), ``pyflow run`` would build that old SQL, and
``state:modified`` did not list the model (same checksum), so a CI job would not rebuild it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FILES = {
    "pyflow.yml": "name: deps\n",
    "seeds/raw.csv": "id,v\n1,10\n2,20\n",
    "lib/__init__.py": "",
    "lib/consts.py": "FACTOR = 100\n",
    "lib/money.py": """
        from lib.consts import FACTOR


        def scaled(column):
            return column * FACTOR
        """,
    "models/pair.py": """
        import ibis
        from pyflow import model

        BONUS = 1


        @model(materialized="table")
        def with_bonus(raw: ibis.Table) -> ibis.Table:
            return raw.mutate(w=raw.v + BONUS)


        @model(materialized="table")
        def plain(raw: ibis.Table) -> ibis.Table:
            return raw.mutate(p=raw.v - 1)
        """,
    "models/uses_helper.py": """
        import ibis
        from pyflow import model

        from lib.money import scaled


        @model(materialized="table")
        def uses_helper(raw: ibis.Table) -> ibis.Table:
            return raw.mutate(s=scaled(raw.v))
        """,
}


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _compiled(project: Path, name: str) -> str:
    return (project / f"target/compiled/deps/models/{name}.sql").read_text(encoding="utf-8")


def _modified(pyflow, project: Path, state: Path) -> list[str]:
    result = pyflow(
        "ls", "--project-dir", project, "-s", "state:modified", "--state", state, "--resource-type", "model"
    )
    return sorted(line for line in result.stdout.split() if not line.startswith("["))


def _baseline(pyflow, project: Path) -> Path:
    pyflow("build", "--project-dir", project)
    state = project.parent / f"{project.name}-state"
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(project / "target", state)
    assert _modified(pyflow, project, state) == []
    return state


def test_a_module_constant_recompiles_and_modifies_only_the_models_of_that_file(
    make_project, pyflow, warehouse
):
    project = make_project(FILES)
    state = _baseline(pyflow, project)
    assert "+ 1" in _compiled(project, "with_bonus")

    _edit(project, "models/pair.py", "BONUS = 1", "BONUS = 5")
    pyflow("compile", "--project-dir", project)

    assert "+ 5" in _compiled(project, "with_bonus")  # not the cached SQL of BONUS = 1
    assert _modified(pyflow, project, state) == ["plain", "with_bonus"]  # both read the module
    pyflow("run", "--project-dir", project, "-s", "with_bonus")
    assert warehouse(project).rows("select w from main.with_bonus order by id") == [(15,), (25,)]


def test_editing_one_model_of_a_file_leaves_its_sibling_unmodified(make_project, pyflow):
    project = make_project(FILES)
    state = _baseline(pyflow, project)

    _edit(project, "models/pair.py", "raw.v - 1", "raw.v - 2")
    # a new model in the same file, with the blank lines around it, changes no other checksum
    _edit(
        project, "models/pair.py", "BONUS = 1\n", "BONUS = 1\n\n\n@model\ndef added(raw):\n    return raw\n"
    )

    assert _modified(pyflow, project, state) == ["added", "plain"]


def test_a_helper_module_imported_through_another_recompiles_its_models(make_project, pyflow, warehouse):
    project = make_project(FILES)
    state = _baseline(pyflow, project)
    assert "* 100" in _compiled(project, "uses_helper")

    _edit(project, "lib/consts.py", "FACTOR = 100", "FACTOR = 1000")  # lib.money imports it
    pyflow("compile", "--project-dir", project)

    assert "* 1000" in _compiled(project, "uses_helper")
    assert _modified(pyflow, project, state) == ["uses_helper"]
    pyflow("run", "--project-dir", project, "-s", "uses_helper")
    assert warehouse(project).rows("select s from main.uses_helper order by id") == [(10000,), (20000,)]


def test_two_projects_with_a_helper_of_the_same_name_in_one_process(make_project, pyflow):
    # a notebook or a test suite compiling two projects: each model gets its own project's lib
    first = make_project(FILES)
    second = make_project({**FILES, "lib/consts.py": "FACTOR = 7\n"})

    for project, factor in [(first, "* 100"), (second, "* 7"), (first, "* 100")]:
        shutil.rmtree(project / "target", ignore_errors=True)
        pyflow("compile", "--project-dir", project)
        assert factor in _compiled(project, "uses_helper"), project


def test_a_python_data_test_is_modified_with_its_module(make_project, pyflow):
    project = make_project(
        {
            **FILES,
            "tests/checks.py": """
                from pyflow import data_test

                LIMIT = 100


                @data_test
                def small_values(with_bonus):
                    return with_bonus.filter(with_bonus.w > LIMIT)


                @data_test
                def no_negative(plain):
                    return plain.filter(plain.p < 0)
                """,
        }
    )
    state = _baseline(pyflow, project)

    _edit(project, "tests/checks.py", "LIMIT = 100", "LIMIT = 10")
    result = pyflow(
        "ls", "--project-dir", project, "-s", "state:modified", "--state", state, "--resource-type", "test"
    )

    # both read the module (its constant could be either's); the models did not change
    assert sorted(result.stdout.split()) == ["no_negative", "small_values"]
    assert _modified(pyflow, project, state) == []


def test_config_read_from_a_helper_beside_the_models_is_read_again_when_it_changes(make_project, pyflow):
    # the parse cache kept what importing models/with_config.py recorded while models/common.py
    # (a helper in the model folder, which the parse cache's stamp of helper files leaves out)
    # changed: the model stayed a view after `COMMON = {"materialized": "table"}`
    project = make_project(
        {
            **FILES,
            "models/common.py": 'COMMON = {"materialized": "view"}\n',
            "models/with_config.py": """
                import ibis
                from pyflow import model

                from models.common import COMMON


                @model(**COMMON)
                def with_config(raw: ibis.Table) -> ibis.Table:
                    return raw
                """,
        }
    )

    def materialized() -> str:
        result = pyflow("ls", "--project-dir", project, "-s", "with_config", "--output", "json")
        return json.loads(result.stdout.splitlines()[-1])["config"]["materialized"]

    assert materialized() == "view"
    _edit(project, "models/common.py", '"view"', '"table"')
    assert materialized() == "table"
    pyflow("build", "--project-dir", project, "-s", "+with_config")
    assert "with_config" in warehouse_tables(project)  # a table, not a view


def warehouse_tables(project: Path) -> set[str]:
    import duckdb

    with duckdb.connect(str(project / "pyflow.duckdb"), read_only=True) as con:
        rows = con.execute("select table_name from information_schema.tables where table_type = 'BASE TABLE'")
        return {r[0] for r in rows.fetchall()}


def test_two_projects_with_python_data_tests_reading_a_helper_of_the_same_name(make_project, pyflow):
    # as with models: a data test module imported in the second project reused the first's lib
    checks = {
        "tests/checks.py": """
            from pyflow import data_test

            from lib.consts import FACTOR


            @data_test
            def big_values(raw):
                return raw.filter(raw.v > FACTOR)
            """
    }
    # no model imports lib here: only the test module does
    base = {k: v for k, v in FILES.items() if not k.startswith("models/") and k != "lib/money.py"}
    first = make_project({**base, **checks})
    second = make_project({**base, **checks, "lib/consts.py": "FACTOR = 7\n"})

    # raw.v is 10 and 20: no value is above 100, both are above 7
    for project, factor in [(first, 100), (second, 7), (first, 100)]:
        shutil.rmtree(project / "target", ignore_errors=True)
        result = pyflow("build", "--project-dir", project, expect=1 if factor == 7 else 0)
        compiled = (project / "target/compiled/deps/tests/big_values.sql").read_text(encoding="utf-8")
        assert f"> {factor}" in compiled, project
        assert ("got 2 failing row(s)" in result.output) == (factor == 7), result.output


ENV_MODEL = {
    "models/regional.py": """
        import os

        import ibis
        from pyflow import model


        @model
        def regional(raw: ibis.Table) -> ibis.Table:
            return raw.mutate(region=ibis.literal(os.getenv("PYFLOW_TEST_REGION", "eu")))
        """,
}


def test_a_python_model_reading_an_environment_variable_is_compiled_again_when_it_changes(
    make_project, pyflow, monkeypatch
):
    # the compile cache kept the SQL of the first value: the model read os.environ directly
    project = make_project({**FILES, **ENV_MODEL})
    monkeypatch.delenv("PYFLOW_TEST_REGION", raising=False)
    pyflow("compile", "--project-dir", project)
    assert "'eu'" in _compiled(project, "regional")

    monkeypatch.setenv("PYFLOW_TEST_REGION", "us")
    pyflow("compile", "--project-dir", project)
    assert "'us'" in _compiled(project, "regional")

    monkeypatch.setenv("PYFLOW_TEST_UNRELATED", "1")  # a variable no model reads changes nothing
    result = pyflow("compile", "--project-dir", project)
    assert "'us'" in _compiled(project, "regional")
    assert "(4 unchanged)" in result.output, result.output


def test_a_python_model_reading_environ_imported_from_os_is_compiled_again_when_it_changes(
    make_project, pyflow, monkeypatch
):
    # `from os import environ` binds the real mapping in the module: it is watched there too
    model = {
        "models/tiered.py": """
            from os import environ

            import ibis
            from pyflow import model


            @model
            def tiered(raw: ibis.Table) -> ibis.Table:
                return raw.mutate(tier=ibis.literal(environ.get("PYFLOW_TEST_TIER", "gold")))
            """,
    }
    project = make_project({**FILES, **model})
    monkeypatch.delenv("PYFLOW_TEST_TIER", raising=False)
    pyflow("compile", "--project-dir", project)
    assert "'gold'" in _compiled(project, "tiered")

    monkeypatch.setenv("PYFLOW_TEST_TIER", "silver")
    pyflow("compile", "--project-dir", project)
    assert "'silver'" in _compiled(project, "tiered")
