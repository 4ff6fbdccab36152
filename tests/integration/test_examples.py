"""The example project and the `pyflow init` scaffold build end to end."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

DONE = re.compile(r"Done\. PASS=(\d+) WARN=0 ERROR=0 SKIP=0 TOTAL=(\d+)")


def _all_passed(output: str) -> int:
    """The node count of a run in which every node passed."""
    match = DONE.search(output)
    assert match is not None and match[1] == match[2], output
    return int(match[1])


def test_shop_build_twice_gives_identical_relations(copy_project, pyflow, warehouse, run_results):
    shop = copy_project("examples/shop")
    assert not (shop / "pyflow.duckdb").exists()

    first = pyflow("build", "--project-dir", shop)
    nodes = _all_passed(first.output)
    results = run_results(shop).values()
    built = {r["relation"].replace('"pyflow".', "").replace('"', "") for r in results if r["relation"]}
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]  # data and unit tests
    assert all(r["status"] == "pass" and r["relation"] is None for r in tests)
    before = warehouse(shop).checksums()
    assert len(built) + len(tests) == nodes >= 7
    assert len(tests) >= 20  # the shop tests every model
    assert set(before) == built
    assert before["main.stg_orders"][0] == "VIEW"
    assert before["main.dim_customers"][0] == "BASE TABLE"

    second = pyflow("build", "--project-dir", shop)
    assert _all_passed(second.output) == nodes
    assert {r["status"] for r in run_results(shop).values()} == {"success", "pass"}
    after = warehouse(shop).checksums()
    assert after == before

    # the numbers the example's README promises
    db = warehouse(shop)
    assert db.rows("SELECT count(*) FROM stg_orders") == [(88250,)]
    assert db.rows("SELECT customer_segment, count(*) FROM dim_customers GROUP BY ALL ORDER BY ALL") == [
        ("High Value", 2465),
        ("Low Value", 1675),
        ("Medium Value", 4360),
        ("No Purchases", 1500),
    ]
    assert not any("__pyflow" in rel for rel in db.relations())


def test_init_then_build_works_without_other_steps(tmp_path, monkeypatch, pyflow, warehouse):
    monkeypatch.chdir(tmp_path)

    created = pyflow("init", "demo")
    assert "Created project 'demo'" in created.output
    assert (tmp_path / "demo" / "pyflow.yml").is_file()

    built = pyflow("build", "--project-dir", "demo")
    assert "Done. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3" in built.output
    assert warehouse(tmp_path / "demo").rows(
        "SELECT method, payments, round(total, 2) FROM payments_by_method ORDER BY method"
    ) == [("bank_transfer", 1, 30.0), ("card", 2, 22.49), ("voucher", 1, 5.0)]


def test_init_refuses_an_existing_folder(tmp_path, monkeypatch, pyflow):
    monkeypatch.chdir(tmp_path)
    pyflow("init", "demo")
    (tmp_path / "demo" / "models" / "marts" / "payments_by_method.py").write_text("# mine\n")

    again = pyflow("init", "demo", expect=1)

    assert "demo" in again.output
    assert (tmp_path / "demo" / "models" / "marts" / "payments_by_method.py").read_text() == "# mine\n"
