"""Every user error names the file (with line), the model, a fix and its [code].

Each case is a tiny broken project on disk. It is checked twice: through the library
(``load_project``, ``load_target`` or the project compiler) and through the CLI, which must exit
with 1 and print the same message once, with no traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from pyflow.config.loader import load_project
from pyflow.config.profile import load_target
from pyflow.core.spec import TargetInfo
from pyflow.errors import ErrorGroup, PyflowError

UNSET = "PYFLOW_TEST_UNSET_VAR"

MODEL_M = """
    from pyflow import model


    @model
    def m():
        ...
"""


@dataclass(frozen=True)
class Case:
    """A broken project and what its error must say."""

    files: dict[str, str]
    code: str
    location: str
    """``path:line`` as it must appear in the first line."""
    model: str | None
    contains: tuple[str, ...] = ()
    stage: Literal["load", "compile", "profile"] = "load"
    extra: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "dependency_cycle": Case(
        {
            "models/cycle.py": """
                from pyflow import model


                @model
                def a(c):
                    return c


                @model
                def b(a):
                    return a


                @model
                def c(b):
                    return b
            """
        },
        code="dependency-cycle",
        location="models/cycle.py:5",
        model="a",
        contains=("dependency cycle: a -> b -> c -> a", "b: models/cycle.py:10", "c: models/cycle.py:15"),
    ),
    "unknown_parameter": Case(
        {
            "models/customers.sql": "select 1 as id\n",
            "models/orders.py": """
                from pyflow import model


                @model
                def orders_enriched(custmers):
                    return custmers
            """,
        },
        code="missing-dependency",
        location="models/orders.py:5",
        model="orders_enriched",
        contains=("depends on 'custmers'", "Did you mean 'customers'?"),
    ),
    "parameter_with_a_default": Case(
        {
            "models/customers.sql": "select 1 as id, 10 as spend\n",
            "models/big.py": """
                from pyflow import model


                @model
                def big_spenders(customers, threshold=100):
                    return customers.filter(customers.spend > threshold)
            """,
        },
        code="missing-dependency",
        location="models/big.py:5",
        model="big_spenders",
        contains=(
            "depends on 'threshold'",
            "the default value of 'threshold' is never used",
            "ctx.var('threshold', <default>)",
        ),
    ),
    "duplicate_python_and_sql": Case(
        {"models/a.py": MODEL_M, "models/m.sql": "select 1 as x\n"},
        code="duplicate-name",
        location="models/m.sql:1",
        model="m",
        contains=("models/a.py:5", "models/m.sql:1"),
    ),
    "duplicate_python_and_python": Case(
        {"models/x/first.py": MODEL_M, "models/y/second.py": MODEL_M},
        code="duplicate-name",
        location="models/y/second.py:5",
        model="m",
        contains=("models/x/first.py:5", "models/y/second.py:5"),
    ),
    "unknown_key_in_decorator": Case(
        {
            "models/m.py": """
                from pyflow import model


                @model(materialzed="table")
                def m():
                    ...
            """
        },
        code="unknown-config-key",
        location="models/m.py:5",
        model="m",
        contains=("unknown config key 'materialzed'", "Did you mean 'materialized'?"),
    ),
    "unknown_key_in_project_tree": Case(
        {
            "pyflow.yml": """
                name: proj
                models:
                  proj:
                    staging:
                      +materialzed: table
            """,
            "models/staging/m.sql": "select 1 as x\n",
        },
        code="unknown-config-key",
        location="pyflow.yml:5",
        model=None,
        contains=("'+materialzed'", "Did you mean '+materialized'?"),
    ),
    "unknown_key_in_properties_config": Case(
        {
            "models/m.sql": "select 1 as x\n",
            "models/schema.yml": """
                version: 2
                models:
                  - name: m
                    config:
                      materialzed: table
            """,
        },
        code="unknown-config-key",
        location="models/schema.yml:5",
        model="m",
        contains=("unknown config key 'materialzed'", "Did you mean 'materialized'?"),
    ),
    "unknown_key_in_project_file": Case(
        {"pyflow.yml": "name: proj\nmodel-path: [models]\n"},
        code="unknown-config-key",
        location="pyflow.yml:2",
        model=None,
        contains=("'model-path'", "Did you mean 'model-paths'"),
    ),
    "unknown_key_in_profiles": Case(
        {
            "pyflow.yml": "name: proj\nprofile: p\n",
            "profiles.yml": """
                p:
                  target: dev
                  outputs:
                    dev:
                      type: duckdb
                      pth: warehouse.duckdb
            """,
        },
        code="unknown-config-key",
        location="profiles.yml:6",
        model=None,
        contains=("unknown profile key 'pth'", "Did you mean 'path'?"),
        stage="profile",
    ),
    "unknown_materialization_in_decorator": Case(
        {
            "models/m.py": """
                from pyflow import model


                @model(materialized="tabel")
                def m():
                    ...
            """
        },
        code="unknown-materialization",
        location="models/m.py:5",
        model="m",
        contains=("unknown materialization 'tabel'", "Did you mean 'table'?"),
    ),
    "unknown_materialization_in_sql_config": Case(
        {"models/m.sql": "{{ config(materialized='tabel') }}\nselect 1 as x\n"},
        code="unknown-materialization",
        location="models/m.sql:1",
        model="m",
        contains=("Did you mean 'table'?",),
    ),
    "jinja_syntax_error": Case(
        {"models/m.sql": "select\n  id\nfrom {{ ref('a' }}\n"},
        code="jinja-syntax",
        location="models/m.sql:3",
        model="m",
        contains=("Jinja syntax error", ">    3 | from {{ ref('a' }}", "     2 |   id"),
    ),
    "undefined_macro": Case(
        {
            "macros/money.sql": "{% macro cents_to_dollars(col) %}({{ col }} / 100){% endmacro %}\n",
            "models/m.sql": "select\n  {{ cents_to_dolars('amount') }} as dollars\n",
        },
        code="undefined-macro",
        location="models/m.sql:2",
        model="m",
        contains=("'cents_to_dolars' is undefined", "Did you mean 'cents_to_dollars'?"),
    ),
    "undefined_macro_inside_a_macro": Case(
        {
            "macros/money.sql": """
                {% macro cents_to_dollars(col) %}
                  {{ round_to(col, 2) }}
                {% endmacro %}
            """,
            "models/m.sql": "select {{ cents_to_dollars('amount') }} as dollars\n",
        },
        code="undefined-macro",
        location="macros/money.sql:2",
        model="m",
        contains=("'round_to' is undefined",),
    ),
    "python_syntax_error": Case(
        {"models/m.py": "from pyflow import model\n\n\n@model\ndef m(:\n    ...\n"},
        code="python-syntax",
        location="models/m.py:5",
        model=None,
        contains=("Python syntax error",),
    ),
    "python_module_fails_on_import": Case(
        {"models/m.py": "from pyflow import model\n\nRATE = 1\nTAX = RATE * undefined_name\n"},
        code="python-import",
        location="models/m.py:4",
        model=None,
        contains=("NameError", "undefined_name"),
    ),
    "model_returns_a_number": Case(
        {
            "models/m.py": """
                from pyflow import model


                @model
                def m():
                    return 42
            """
        },
        code="bad-return-type",
        location="models/m.py:5",
        model="m",
        contains=("the model returned int, not an Ibis table or a DataFrame",),
        stage="compile",
    ),
    "model_forgets_to_return": Case(
        {
            "models/m.py": """
                import ibis
                from pyflow import model


                @model
                def m():
                    ibis.table({"x": "int64"}, name="t").filter(ibis._.x > 1)
            """
        },
        code="bad-return-type",
        location="models/m.py:6",
        model="m",
        contains=("the model returned None", "is a `return` missing"),
        stage="compile",
    ),
    "model_returns_a_column": Case(
        {
            "models/m.py": """
                import ibis
                from pyflow import model


                @model
                def m():
                    return ibis.table({"x": "int64"}, name="t").x
            """
        },
        code="bad-return-type",
        location="models/m.py:6",
        model="m",
        contains=("returned IntegerColumn", ".as_table()"),
        stage="compile",
    ),
    "model_raises": Case(
        {
            "models/m.py": """
                from pyflow import model


                @model
                def m():
                    rate = 0
                    raise ValueError(f"bad rate {rate}")
            """
        },
        code="python-model-error",
        location="models/m.py:7",
        model="m",
        contains=("ValueError: bad rate 0",),
        stage="compile",
    ),
    "undefined_var_in_sql": Case(
        {
            "pyflow.yml": "name: proj\nvars:\n  start_date: '2024-01-01'\n",
            "models/m.sql": "select 1 as x\nwhere '{{ var(\"start_dat\") }}' > ''\n",
        },
        code="undefined-var",
        location="models/m.sql:2",
        model="m",
        contains=("variable 'start_dat' is not defined", "Did you mean 'start_date'?"),
    ),
    "undefined_var_in_python": Case(
        {
            "pyflow.yml": "name: proj\nvars:\n  start_date: '2024-01-01'\n",
            "models/m.py": """
                import ibis
                from pyflow import model


                @model
                def m(ctx):
                    start = ctx.var("start_dat")
                    return ibis.memtable({"x": [start]})
            """,
        },
        code="undefined-var",
        location="models/m.py:7",
        model="m",
        contains=("variable 'start_dat' is not defined", "Did you mean 'start_date'?"),
        stage="compile",
    ),
    "missing_env_var_in_sql": Case(
        {"models/m.sql": f"select 1 as x,\n  '{{{{ env_var(\"{UNSET}\") }}}}' as y\n"},
        code="missing-env-var",
        location="models/m.sql:2",
        model="m",
        contains=(f"environment variable '{UNSET}' is not set", f"export {UNSET}="),
    ),
    "missing_env_var_in_profiles": Case(
        {
            "pyflow.yml": "name: proj\nprofile: p\n",
            "profiles.yml": f"""
                p:
                  target: dev
                  outputs:
                    dev:
                      type: duckdb
                      path: "{{{{ env_var('{UNSET}') }}}}"
            """,
        },
        code="missing-env-var",
        location="profiles.yml:6",
        model=None,
        contains=(f"environment variable '{UNSET}' is not set",),
        stage="profile",
    ),
    "undeclared_source": Case(
        {
            "models/sources.yml": """
                sources:
                  - name: shop
                    tables:
                      - name: order
            """,
            "models/m.sql": "select *\nfrom {{ source('shop', 'orders') }}\n",
        },
        code="missing-dependency",
        location="models/m.sql:2",
        model="m",
        contains=("source('shop', 'orders'), which is not declared", "Did you mean 'shop.order'?"),
    ),
    "ambiguous_bare_source_table": Case(
        {
            "models/sources.yml": """
                sources:
                  - name: web
                    tables:
                      - name: orders
                  - name: store
                    tables:
                      - name: orders
            """,
            "models/m.py": """
                from pyflow import model


                @model
                def m(orders):
                    return orders
            """,
        },
        code="ambiguous-dependency",
        location="models/m.py:5",
        model="m",
        contains=("parameter 'orders' matches tables of several sources", "'store__orders'", "'web__orders'"),
    ),
    "ref_to_disabled_model": Case(
        {
            "models/old.sql": "{{ config(enabled=false) }}\nselect 1 as x\n",
            "models/m.sql": "select *\nfrom {{ ref('old') }}\n",
        },
        code="disabled-dependency",
        location="models/m.sql:2",
        model="m",
        contains=("depends on 'old', which is disabled (models/old.sql)",),
    ),
    "invalid_yaml_in_properties": Case(
        {
            "models/m.sql": "select 1 as x\n",
            "models/schema.yml": "models:\n  - name: m\n     description: x\n",
        },
        code="invalid-yaml",
        location="models/schema.yml:3",
        model=None,
        contains=("invalid YAML",),
    ),
    "invalid_yaml_in_project_file": Case(
        {"pyflow.yml": "name: proj\nvars: {a: 1\n"},
        code="invalid-yaml",
        location="pyflow.yml:3",
        model=None,
        contains=("invalid YAML",),
    ),
}


def _compile_error(root: Path, model: str) -> PyflowError:
    from pyflow.adapters.duckdb import DuckDBAdapter
    from pyflow.runner.compilation import ProjectCompiler

    project = load_project(root)
    adapter = DuckDBAdapter.in_memory()
    target = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")
    try:
        compiler = ProjectCompiler(project, adapter, target, datetime.now(UTC))
        with pytest.raises(PyflowError) as info:
            compiler.compile(project.models[model].unique_id)
        compiler.close()
    finally:
        adapter.close()
    return info.value


def library_error(case: Case, root: Path) -> PyflowError:
    """The error the library raises for ``case``."""
    if case.stage == "compile":
        assert case.model is not None
        return _compile_error(root, case.model)
    with pytest.raises(PyflowError) as info:
        if case.stage == "profile":
            load_target(root, "p")
        else:
            load_project(root)
    return info.value


def assert_names_everything(text: str, case: Case) -> None:
    """File with line, the model, a fix and the code, plus the case's own phrases."""
    headline = text.splitlines()[0]
    assert case.location in headline, text
    if case.model is not None:
        assert f"model '{case.model}'" in headline, text
    assert "\n  Fix: " in text, text
    assert f"[{case.code}] see docs/errors.md#{case.code}" in text, text
    for phrase in case.contains:
        assert phrase in text, text
    assert "Traceback" not in text


@pytest.fixture(autouse=True)
def _unset_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UNSET, raising=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_user_error_names_file_model_fix_and_code(name: str, make_project: Callable[..., Path]) -> None:
    case = CASES[name]
    root = make_project(case.files, name="proj")

    err = library_error(case, root)

    assert not isinstance(err, ErrorGroup), str(err)
    assert err.code == case.code
    assert err.model == case.model
    assert err.hint
    assert_names_everything(str(err), case)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.stage != "compile"))
def test_user_error_cli_run_exits_1_with_one_message(
    name: str, make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    case = CASES[name]
    root = make_project(case.files, name="proj")
    expected = str(library_error(case, root))

    result = cli("run", "--project-dir", str(root))

    assert result.exit_code == 1
    assert result.stderr == f"pyflow: {expected}\n"
    assert "Traceback" not in result.output
    assert_names_everything(result.stderr.removeprefix("pyflow: "), case)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.stage == "compile"))
def test_user_error_cli_reports_model_failures_once(
    name: str, make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    case = CASES[name]
    root = make_project(case.files, name="proj")
    expected = str(library_error(case, root))

    run = cli("run", "--project-dir", str(root))
    compiled = cli("compile", "--project-dir", str(root))

    assert run.exit_code == 1
    assert "Traceback" not in run.output
    assert run.stdout.count(expected.splitlines()[0]) == 1
    for row in expected.splitlines():
        assert row in run.stdout
    assert compiled.exit_code == 1
    assert compiled.stderr == f"pyflow: {expected}\n"
    assert "Traceback" not in compiled.output


GROUP_FILES = {
    "models/broken.py": "from pyflow import model\n\n\n@model\ndef broken(:\n    ...\n",
    "models/m.py": """
        from pyflow import model


        @model(materialzed="table")
        def m():
            ...


        @model
        def n(custmers):
            return custmers
    """,
}


def test_error_group_reports_every_definition_error_with_a_count(make_project: Callable[..., Path]) -> None:
    root = make_project(GROUP_FILES, name="proj")

    with pytest.raises(ErrorGroup) as info:
        load_project(root)

    err = info.value
    assert [e.code for e in err.errors] == ["python-syntax", "unknown-config-key", "missing-dependency"]
    text = str(err)
    assert text.startswith("3 error(s) found in the project:\n")
    assert "\n1. models/broken.py:5: Python syntax error" in text
    assert "\n2. model 'm' (models/m.py:5): unknown config key 'materialzed'" in text
    assert "\n3. model 'n' (models/m.py:10): depends on 'custmers'" in text
    assert text.count("Fix: ") == 3
    for code in ("python-syntax", "unknown-config-key", "missing-dependency"):
        assert f"[{code}]" in text


def test_error_group_cli_prints_all_errors_once(
    make_project: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_project(GROUP_FILES, name="proj")
    with pytest.raises(ErrorGroup) as info:
        load_project(root)

    result = cli("run", "--project-dir", str(root))

    assert result.exit_code == 1
    assert result.stderr == f"pyflow: {info.value}\n"
    assert result.stderr.count("3 error(s) found") == 1
    assert "Traceback" not in result.output
