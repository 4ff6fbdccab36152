"""dbt's cross-database macros rendered for Trino and Athena: offline SQL, then run on a live Trino.

The calls of :mod:`tests.crossdb_cases` are rendered through the ``dbt`` namespace (a
:class:`~pyflow.core.dispatch.Dispatcher` over each engine's :mod:`pyflow.adapters.crossdb`
class), checked to parse in the engine's dialect, and (``trino`` marker) executed on the rig's
Trino server, which must return the same values DuckDB returns in
``tests/integration/test_dbt_crossdb.py``. Athena runs Trino's engine, so its SQL (identical
but for ``current_timestamp``) is executed on Trino too.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
import pytest

from pyflow.adapters.crossdb import NAMES, CrossDbMacros, cross_db_macros
from pyflow.core.dispatch import DbtNamespace, Dispatcher
from tests.crossdb_cases import AGGREGATES, SCALARS, aggregate_select, scalar_select


def render(template: str, engine: str) -> str:
    macros = cross_db_macros(engine)
    dispatcher = Dispatcher(
        {},
        adapter_type=engine,
        root="proj",
        search_orders={},
        packages={},
        builtins={n: functools.partial(macros.call, n) for n in NAMES},
    )
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(template).render(dbt=DbtNamespace(dispatcher))


def test_every_name_is_a_method():
    for name in NAMES:
        assert callable(getattr(CrossDbMacros, "except_" if name == "except" else name))


@pytest.mark.parametrize("engine", ["trino", "athena"])
def test_renderings_parse_in_the_engines_dialect(engine):
    import sqlglot

    for sql in (render(scalar_select(), engine), render(aggregate_select(), engine)):
        assert "{{" not in sql
        sqlglot.parse_one(sql, read=engine)  # raises on SQL the dialect cannot read


def test_trino_renderings():
    assert render("{{ dbt.dateadd('day', 3, 'd') }}", "trino") == "date_add('day', 3, d)"
    assert render("{{ dbt.datediff('a', 'b', 'month') }}", "trino") == (
        "date_diff('month', date_trunc('month', CAST(a AS TIMESTAMP)), date_trunc('month', CAST(b AS TIMESTAMP)))"
    )
    assert render("{{ dbt.any_value('v') }}", "trino") == "arbitrary(v)"
    assert render("{{ dbt.hash('v') }}", "trino") == "lower(to_hex(md5(to_utf8(CAST(v AS VARCHAR)))))"
    assert render("{{ dbt.listagg('v', \"','\", 'order by v', 2) }}", "trino") == (
        "array_join(slice(array_agg(v order by v), 1, 2), ',')"
    )
    assert render("{{ dbt.split_part('s', \"'-'\", -1) }}", "trino") == "element_at(split(s, '-'), -1)"
    assert render("{{ dbt.type_float() }} {{ dbt.type_string() }}", "trino") == "DOUBLE VARCHAR"
    assert render("{{ dbt.current_timestamp() }}", "trino") == (
        "CAST(current_timestamp AS TIMESTAMP(6) WITH TIME ZONE)"
    )


def test_athena_differs_from_trino_only_in_current_timestamp():
    assert render("{{ dbt.current_timestamp() }}", "athena") == "CAST(now() AS TIMESTAMP)"
    for name, (sql, _) in {**SCALARS, **AGGREGATES}.items():
        if name != "current_day":
            assert render(sql, "athena") == render(sql, "trino"), name


def test_unknown_datepart_is_a_compile_error():
    from pyflow.errors import CompileError

    with pytest.raises(CompileError, match="unknown datepart 'fortnight'"):
        render("{{ dbt.dateadd('fortnight', 1, 'd') }}", "trino")


@pytest.mark.trino
@pytest.mark.parametrize("engine", ["trino", "athena"])
def test_renderings_return_the_expected_values_on_trino(trino_server, engine):
    import trino

    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow")
    try:
        got: dict[str, Any] = {}
        for template in (scalar_select(), aggregate_select()):
            cur = con.cursor()
            cur.execute(render(template, engine))
            (row,) = cur.fetchall()
            got.update(zip([d[0] for d in cur.description], row, strict=True))
    finally:
        con.close()
    expected = {name: value for name, (_, value) in {**SCALARS, **AGGREGATES}.items()}
    assert got == expected


def test_core_knows_the_same_global_macro_names():
    from pyflow.core.dispatch import DBT_GLOBAL_MACROS

    assert frozenset(NAMES) == DBT_GLOBAL_MACROS
