"""A node is skipped only because a failed or cancelled ancestor, and says which one.

A data test with several parents (``relationships``, a singular test reading two models) runs
once all its parents are built and blocks only the nodes downstream of all of them (dbt's
rule); a build where nothing fails skips nothing.
"""

from __future__ import annotations

import re

from pyflow.core.graph import Graph
from pyflow.core.node import ModelNode
from pyflow.runner.events import NodeResult
from pyflow.runner.execute import Executor

RELATIONSHIPS_ON_A = """
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - relationships:
              to: ref('b')
              field: id
"""


def _statuses(results):
    return {name: r["status"] for name, r in results.items()}


def _test_name(results, prefix):
    (name,) = [n for n in results if n.startswith(prefix)]
    return name


def test_relationships_test_to_a_child_model_runs_after_both_and_skips_nothing(
    make_project, pyflow, run_results
):
    project = make_project(
        {
            "models/a.sql": "select 1 as id",
            "models/b.sql": "select * from {{ ref('a') }}",
            "models/schema.yml": RELATIONSHIPS_ON_A,
        }
    )

    result = pyflow("build", "--project-dir", project)

    results = run_results(project)
    test = _test_name(results, "relationships_a_id")
    assert _statuses(results) == {"a": "success", "b": "success", test: "pass"}
    assert results[test]["started_at"] >= results["b"]["completed_at"]  # after both parents
    assert "Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3" in result.output
    assert "SKIP" not in result.output.replace("SKIP=0", "")


def test_failing_multi_parent_test_blocks_only_nodes_downstream_of_all_its_parents(
    make_project, pyflow, run_results
):
    project = make_project(
        {
            "models/a.sql": "select 1 as id union all select 2 as id",
            "models/b.sql": "select * from {{ ref('a') }} where id = 1",
            "models/only_a.sql": "select id + 10 as id from {{ ref('a') }}",
            "models/only_a_child.sql": "select * from {{ ref('only_a') }}",
            "models/below_both.sql": "select * from {{ ref('b') }}",
            "models/below_below.sql": "select * from {{ ref('below_both') }}",
            "models/joins_both.sql": (
                "select o.id from {{ ref('only_a') }} as o join {{ ref('b') }} as b on o.id = b.id + 10"
            ),
            "models/schema.yml": RELATIONSHIPS_ON_A,
        }
    )

    result = pyflow("build", "--project-dir", project, expect=1)

    results = run_results(project)
    test = _test_name(results, "relationships_a_id")
    assert _statuses(results) == {
        "a": "success",
        "b": "success",  # a parent of the test: never blocked by it
        "only_a": "success",  # below a only
        "only_a_child": "success",
        test: "fail",
        "below_both": "skipped",
        "below_below": "skipped",
        "joins_both": "skipped",  # below a and b through different paths
    }
    test_id = results[test]["unique_id"]
    for name in ("below_both", "below_below", "joins_both"):
        assert results[name]["message"] == f"skipped because '{test}' failed"
        assert results[name]["cause"] == test_id
    for name in ("a", "b", "only_a", "only_a_child"):
        assert results[name]["cause"] is None
    assert re.search(
        rf"SKIP sql view model main\.below_below because '{test}' failed \.+ \[SKIP\]", result.output
    )
    assert "Done. PASS=4 WARN=0 ERROR=1 SKIP=3 TOTAL=8" in result.output


def test_skip_names_the_failed_ancestor_in_its_line_and_in_run_results(make_project, pyflow, run_results):
    project = make_project(
        {
            "models/a.sql": "select * from no_such_table",
            "models/b.sql": "select * from {{ ref('a') }}",
            "models/c.sql": "select * from {{ ref('b') }}",
            "models/d.sql": "select 1 as x",
        }
    )

    result = pyflow("run", "--project-dir", project, "--threads", "1", expect=1)

    results = run_results(project)
    assert _statuses(results) == {"a": "error", "b": "skipped", "c": "skipped", "d": "success"}
    for name in "bc":
        assert results[name]["message"] == "skipped because 'a' failed"
        assert results[name]["cause"] == "model.proj.a"
    assert results["a"]["cause"] is None and results["d"]["cause"] is None
    assert re.search(r"SKIP sql view model main\.b because 'a' failed \.+ \[SKIP\]", result.output)
    assert re.search(r"SKIP sql view model main\.c because 'a' failed \.+ \[SKIP\]", result.output)


def test_build_where_nothing_fails_skips_nothing(copy_project, pyflow, run_results):
    project = copy_project("examples/shop")
    # a relationships test from a staging model to a mart built from it, and a singular test
    # reading two models, besides the example's own tests (generic, singular and unit)
    sources = project / "models" / "staging" / "sources.yml"
    text = sources.read_text(encoding="utf-8")
    tests = "        data_tests: [unique, not_null]\n"
    assert text.count(tests) == 2  # stg_customers.customer_id first
    relationships = (
        "        data_tests:\n          - unique\n          - not_null\n          - relationships:\n"
        "              to: ref('dim_customers')\n              field: customer_id\n"
    )
    sources.write_text(text.replace(tests, relationships, 1), encoding="utf-8")
    (project / "tests" / "orders_have_customers.sql").write_text(
        "select o.customer_id from {{ ref('fct_orders') }} as o\n"
        "left join {{ ref('stg_customers') }} as c on o.customer_id = c.customer_id\n"
        "where c.customer_id is null\n",
        encoding="utf-8",
    )

    result = pyflow("build", "--project-dir", project)

    results = run_results(project)
    statuses = _statuses(results)
    assert len(statuses) > 20
    wrong = {n: s for n, s in statuses.items() if s not in ("success", "pass")}
    assert wrong == {}
    assert statuses[_test_name(results, "relationships_stg_customers_customer_id")] == "pass"
    assert statuses["orders_have_customers"] == "pass"
    assert all(r["cause"] is None for r in results.values())
    assert f"ERROR=0 SKIP=0 TOTAL={len(statuses)}" in result.output


def _node(name: str) -> ModelNode:
    return ModelNode(name=name, package="p", path=f"models/{name}.sql", line=1)


def test_a_node_that_can_never_start_is_an_error_not_a_silent_skip():
    # a scheduling bug (here: two nodes waiting for each other) must not end the run as a
    # success with nodes quietly "not run"
    nodes = {f"model.p.{n}": _node(n) for n in ("a", "b", "c")}
    graph = Graph(nodes=dict(nodes), parents={"model.p.c": ["model.p.b"]})
    graph.children["model.p.b"].append("model.p.c")
    ran: list[str] = []

    def job(uid: str, index: int, total: int) -> NodeResult:
        ran.append(uid)
        return NodeResult(uid, nodes[uid].name, "success")

    executor = Executor(
        graph,
        ["model.p.a", "model.p.b", "model.p.c"],
        job,
        threads=1,
        fail_fast=False,
        emit=lambda e: None,
        on_cancel=lambda: None,
        describe=lambda uid: uid,
        extra_parents={"model.p.a": ["model.p.b"], "model.p.b": ["model.p.a"]},
    )
    results = {r.name: r for r in executor.run()}

    assert ran == []
    assert {n: r.status for n, r in results.items()} == {"a": "error", "b": "error", "c": "skipped"}
    assert results["a"].message == (
        "internal error: 'a' never started: it waits for 'b', which never finished "
        "(a scheduling bug in pyflow: please report it)"
    )
    assert results["a"].error == {"code": "internal", "message": results["a"].message}
    assert results["c"].message == "skipped because 'b' failed"
    assert results["c"].cause == "model.p.b"
