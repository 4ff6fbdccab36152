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

    # customer_report (Python) reads int_order_totals' columns, which changed, so it recompiles;
    # its own columns did not change, and big_spenders (SQL) sees only its relation name, so its
    # compiled SQL cannot differ: recompiling it would be wasted work (issue 15, goal 2)
    assert "Compiled 5 model(s) (3 unchanged)" in result.output
    after = _cache_keys(project)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"int_order_totals", "customer_report"}
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


def test_compile_of_the_last_model_of_a_deep_chain_needs_no_deep_recursion(make_project, pyflow):
    # the content key of a model covers its parents' keys; they were computed by recursion, two
    # Python frames per level, so selecting the end of a chain ~500 deep was an internal error
    # (RecursionError); 1,200 levels is past Python's default limit of 1,000 frames
    depth = 1200
    files = {"models/m0.sql": "select 1 as x\n"}
    files.update(
        {f"models/m{i}.sql": f"select x + 1 as x from {{{{ ref('m{i - 1}') }}}}\n" for i in range(1, depth)}
    )
    project = make_project(files)

    result = pyflow("compile", "--project-dir", project, "--select", f"m{depth - 1}")

    assert "Compiled 1 model(s) (0 unchanged)" in result.output
    compiled = (project / "target" / "compiled" / "proj" / "models" / f"m{depth - 1}.sql").read_text()
    assert f'from "pyflow"."main"."m{depth - 2}"' in compiled


def test_compile_of_a_deep_chain_of_python_models_needs_no_deep_recursion(make_project, pyflow):
    # before a Python model compiles, pyflow looks up its ancestors for a DataFrame model whose
    # columns are unknown; that walk recursed once per level, so a chain of Python models
    # ~1,000 deep was an internal error (RecursionError)
    depth = 1100
    functions = [
        f"@model\ndef m{i}(m{i - 1}):\n    return m{i - 1}.mutate(x=m{i - 1}.x + 1)\n"
        for i in range(1, depth)
    ]
    project = make_project(
        {
            "models/m0.sql": "select 1 as x\n",
            "models/chain.py": "from pyflow import model\n\n\n" + "\n\n".join(functions),
        }
    )

    result = pyflow("compile", "--project-dir", project)

    assert f"Compiled {depth} model(s) (0 unchanged)" in result.output
    compiled = (project / "target" / "compiled" / "proj" / "models" / f"m{depth - 1}.sql").read_text()
    assert f'"pyflow"."main"."m{depth - 2}"' in compiled


def test_compile_of_a_python_model_over_a_deep_chain_of_sql_models(make_project, pyflow):
    # a Python model needs its input's columns; a SQL model's are described against its own
    # inputs' columns, and those were asked for one recursion per level: ~330 SQL models deep,
    # compile (and docs generate) stopped with an internal error (RecursionError)
    depth = 400
    files = {
        f"models/s{i}.sql": f"select x + 1 as x from {{{{ ref('s{i - 1}') }}}}\n" for i in range(1, depth)
    }
    files["models/s0.sql"] = "select 1 as x\n"
    files["models/top.py"] = (
        "from pyflow import model\n\n\n@model\ndef top(s399):\n    return s399.mutate(y=s399.x * 2)\n"
    )
    project = make_project(files)

    result = pyflow("compile", "--project-dir", project)

    assert f"Compiled {depth + 1} model(s) (0 unchanged)" in result.output
    compiled = (project / "target" / "compiled" / "proj" / "models" / "top.sql").read_text()
    assert '"pyflow"."main"."s399"' in compiled


def test_compile_tells_a_date_var_from_the_same_date_as_text(make_project, pyflow):
    # the compile cache keyed vars by their text: after a run with the YAML date, `--vars` with
    # the same date as a string reused the date's SQL (a DATE literal) instead of a string one
    project = make_project(
        {
            "models/s.sql": "select 1 as x\n",
            "models/m.py": (
                "import ibis\nfrom pyflow import model\n\n\n"
                "@model\ndef m(s, ctx):\n    return s.mutate(since=ibis.literal(ctx.var('since')))\n"
            ),
        },
        project_yml="name: proj\nvars:\n  since: 2024-01-01\n",
    )
    pyflow("compile", "--project-dir", project)
    as_date = (project / "target/compiled/proj/models/m.sql").read_text()

    pyflow("compile", "--project-dir", project, "--vars", "{since: '2024-01-01'}")
    as_text = (project / "target/compiled/proj/models/m.sql").read_text()

    assert "MAKE_DATE(2024, 1, 1)" in as_date
    assert "'2024-01-01' AS \"since\"" in as_text


def test_compile_counts_snapshots_apart_from_models(copy_project, pyflow):
    """The shop example has 7 models and 1 snapshot: the line named them all "model(s)"."""
    project = copy_project("examples/shop")

    result = pyflow("compile", "--project-dir", project)

    assert "Compiled 7 model(s) and 1 snapshot(s) (0 unchanged)" in result.output
    assert (project / "target/compiled/shop/snapshots/customers_snapshot.sql").is_file()


def test_models_reading_modules_datetime_are_compiled_again_each_time(make_project, pyflow):
    # `modules.datetime.datetime.now()` (dbt's idiom for time windows) rendered once was cached
    # for good: every later compile and run used the first render's time
    project = make_project(
        {
            "macros/stamp.sql": "{% macro stamp() %}'{{ modules.datetime.datetime.now() }}'{% endmacro %}\n",
            "models/now.sql": "select '{{ modules.datetime.datetime.now().isoformat() }}' as at\n",
            "models/via_macro.sql": "select {{ stamp() }} as at\n",
            "models/only_re.sql": 'select \'{{ modules.re.sub("a", "b", "aa") }}\' as r\n',
        }
    )
    compiled = project / "target" / "compiled" / "proj" / "models"

    pyflow("compile", "--project-dir", project)
    first = {m: (compiled / f"{m}.sql").read_text() for m in ("now", "via_macro")}
    result = pyflow("compile", "--project-dir", project)

    assert "Compiled 3 model(s) (1 unchanged)" in result.output  # only_re came from the cache
    for name, text in first.items():
        assert (compiled / f"{name}.sql").read_text() != text, name
    assert "'bb' as r" in (compiled / "only_re.sql").read_text()


# ---- interactive compile, as dbt 1.5+: one node by name, or --inline, printed to the terminal


def test_compile_of_one_node_by_name_prints_its_sql(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("compile", "--project-dir", project, "--select", "big_spenders")
    quiet = pyflow("compile", "--project-dir", project, "-s", "big_spenders", "--quiet")

    written = (project / "target" / "compiled" / "mixed" / COMPILED["big_spenders"]).read_text()
    assert "where total >= 40" in written
    assert result.stdout.endswith(f"Compiled node 'big_spenders' is:\n{written}")
    assert quiet.stdout == written  # only the SQL: `pyflow compile -q -s NAME > query.sql`


def test_compile_of_several_nodes_prints_no_sql(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("compile", "--project-dir", project, "--select", "customer_report+")

    assert "Compiled node" not in result.stdout
    assert "select" not in result.stdout.lower()


def test_compile_inline_prints_the_rendered_query(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow(
        "compile", "--project-dir", project, "-q", "--inline",
        "select * from {{ ref('customer_report') }} where total > {{ var('floor', 3) }}",
    )  # fmt: skip
    loud = pyflow("compile", "--project-dir", project, "--inline", "select 1 as one")

    assert result.stdout == 'select * from "pyflow"."main"."customer_report" where total > 3\n'
    assert loud.stdout == "Compiled inline node is:\nselect 1 as one\n"
    assert not (project / "target" / "compiled").exists()  # nothing else is compiled or written


def test_compile_inline_with_a_selection_is_a_usage_error(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("compile", "--project-dir", project, "--inline", "select 1", "-s", "stg_orders", expect=2)

    assert "--inline compiles its query alone: drop --select, --exclude and --selector" in result.output
