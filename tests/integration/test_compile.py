"""`pyflow compile`: qualified SQL for every model under target/compiled, and a compile cache."""

from __future__ import annotations

import json

COMPILED = {
    "stg_orders": "models/staging/stg_orders.sql",
    "stg_customers": "models/staging/stg_customers.sql",
    "int_order_totals": "models/intermediate/int_order_totals.sql",
    "customer_report": "models/marts/customer_report.sql",
    "big_spenders": "models/marts/big_spenders.sql",
}


def _cache_keys(project):
    data = json.loads((project / "target" / ".pyflow" / "compile-cache.json").read_text())
    return {name: entry["key"] for name, entry in data["entries"].items()}


def test_compile_writes_qualified_sql_for_every_model(copy_project, pyflow, warehouse):
    project = copy_project("mixed")

    result = pyflow("compile", "--project-dir", project)

    assert "Compiled 5 model(s) (0 unchanged)" in result.output
    base = project / "target" / "compiled" / "mixed"
    sql = {name: (base / rel).read_text() for name, rel in COMPILED.items()}
    assert '"pyflow"."main"."raw_orders"' in sql["stg_orders"]  # Python model, compiled by Ibis
    assert '"pyflow"."main"."raw_customers"' in sql["stg_customers"]
    assert '"pyflow"."main"."stg_orders"' in sql["int_order_totals"]  # SQL ref() of a Python model
    assert '"pyflow"."main"."stg_customers"' in sql["customer_report"]  # Python param of a SQL model
    assert '"pyflow"."main"."int_order_totals"' in sql["customer_report"]
    assert '"pyflow"."main"."customer_report"' in sql["big_spenders"]
    assert "where total >= 40" in sql["big_spenders"]
    assert all("{{" not in text for text in sql.values())
    assert sorted(p.relative_to(base).as_posix() for p in base.rglob("*.sql")) == sorted(COMPILED.values())
    # nothing is built
    # compile builds nothing: it does not even create the database file
    assert not (project / "pyflow.duckdb").exists()


def test_compile_twice_reports_all_unchanged(copy_project, pyflow):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)
    keys = _cache_keys(project)
    written = {rel: (project / "target/compiled/mixed" / rel).stat().st_mtime_ns for rel in COMPILED.values()}

    result = pyflow("compile", "--project-dir", project)

    assert "Compiled 5 model(s) (5 unchanged)" in result.output
    assert _cache_keys(project) == keys
    assert {
        rel: (project / "target/compiled/mixed" / rel).stat().st_mtime_ns for rel in COMPILED.values()
    } == written


def test_compile_after_change_recompiles_model_and_descendants(copy_project, pyflow):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)
    before = _cache_keys(project)
    model = project / "models" / "intermediate" / "int_order_totals.sql"
    model.write_text(
        model.read_text().replace("sum(amount) as total", "sum(amount) as total, max(amount) as biggest")
    )

    result = pyflow("compile", "--project-dir", project)

    assert "Compiled 5 model(s) (2 unchanged)" in result.output
    after = _cache_keys(project)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"int_order_totals", "customer_report", "big_spenders"}
    compiled = (project / "target/compiled/mixed/models/intermediate/int_order_totals.sql").read_text()
    assert "max(amount) as biggest" in compiled


def test_compile_vars_change_recompiles_users_of_vars(copy_project, pyflow):
    project = copy_project("mixed")
    pyflow("compile", "--project-dir", project)

    result = pyflow("compile", "--project-dir", project, "--vars", "{big_spender_min: 100}")

    assert "Compiled 5 model(s)" in result.output
    assert "(5 unchanged)" not in result.output
    sql = (project / "target/compiled/mixed/models/marts/big_spenders.sql").read_text()
    assert "where total >= 100" in sql
