"""`pyflow ls` on examples/shop: tests and unit tests are listed, empty selections warn, output forms.

In examples/shop, stg_orders has 5 generic data tests of its own, one relationships test to
stg_customers, one unit test, and the singular test assert_completed_revenue_matches reads
stg_orders and fct_daily_sales.
"""

from __future__ import annotations

import json

import pytest

STG_ORDERS_OWN_TESTS = {
    "accepted_range_stg_orders_amount_dollars__0",
    "accepted_values_stg_orders_status__completed__shipped__returned__cancelled__pending",
    "not_null_stg_orders_customer_id",
    "not_null_stg_orders_order_id",
    "unique_stg_orders_order_id",
    "test_stg_orders_cleans_status_and_keeps_the_window",
}
STG_ORDERS_SHARED_TESTS = {
    "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_",
    "assert_completed_revenue_matches",
}


def _copy_shop(tmp_path_factory):
    import shutil

    from tests.integration.conftest import COPY_IGNORE, EXAMPLES

    dest = tmp_path_factory.mktemp("ls") / "shop"
    shutil.copytree(EXAMPLES / "shop", dest, ignore=COPY_IGNORE)
    return dest


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return _copy_shop(tmp_path_factory)


@pytest.fixture(scope="module")
def built_shop(tmp_path_factory):
    from typer.testing import CliRunner

    from pyflow.cli.main import app

    dest = _copy_shop(tmp_path_factory)
    result = CliRunner().invoke(app, ["build", "--project-dir", str(dest)])
    assert result.exit_code == 0, result.output
    return dest


def _ls(pyflow, shop, *args, expect=0):
    return pyflow("ls", "--project-dir", shop, *args, expect=expect)


def test_ls_lists_data_tests_and_unit_tests(shop, pyflow):
    rows = [json.loads(line) for line in _ls(pyflow, shop, "--output", "json").stdout.splitlines()]

    kinds = {r["resource_type"] for r in rows}
    assert kinds == {"model", "seed", "snapshot", "source", "test", "unit_test"}
    names = {r["name"] for r in rows if r["resource_type"] == "unit_test"}
    assert "test_stg_orders_cleans_status_and_keeps_the_window" in names
    assert "unique_stg_orders_order_id" in {r["name"] for r in rows if r["resource_type"] == "test"}


def test_ls_selecting_a_model_lists_its_tests_eagerly(shop, pyflow):
    names = set(_ls(pyflow, shop, "-s", "stg_orders").stdout.split())

    assert names == {"stg_orders"} | STG_ORDERS_OWN_TESTS | STG_ORDERS_SHARED_TESTS


def test_ls_cautious_leaves_out_tests_with_unselected_parents(shop, pyflow):
    names = set(_ls(pyflow, shop, "-s", "stg_orders", "--indirect-selection", "cautious").stdout.split())

    assert names == {"stg_orders"} | STG_ORDERS_OWN_TESTS


def test_ls_empty_indirect_selection_lists_no_tests(shop, pyflow):
    assert _ls(pyflow, shop, "-s", "stg_orders", "--indirect-selection", "empty").stdout.split() == [
        "stg_orders"
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("unit_test", {"test_stg_orders_cleans_status_and_keeps_the_window"}),
        ("test", STG_ORDERS_OWN_TESTS - {"test_stg_orders_cleans_status_and_keeps_the_window"}),
        ("model", {"stg_orders"}),
    ],
)
def test_ls_resource_type_keeps_one_kind(shop, pyflow, kind, expected):
    names = set(_ls(pyflow, shop, "-s", "stg_orders", "--resource-type", kind, "--indirect-selection",
                    "cautious").stdout.split())  # fmt: skip

    assert names == expected


def test_ls_selector_matching_nothing_warns_on_stderr_and_exits_0(shop, pyflow):
    result = _ls(pyflow, shop, "-s", "nosuch")

    assert result.stdout == ""
    assert "The selection criterion 'nosuch' does not match any enabled nodes" in result.stderr
    assert "No nodes selected!" in result.stderr


def test_ls_resource_type_without_nodes_says_no_nodes_selected(shop, pyflow):
    result = _ls(pyflow, shop, "-s", "country_codes", "--resource-type", "snapshot")

    assert result.stdout == ""
    assert "No nodes selected!" in result.stderr


def test_ls_unknown_method_is_an_error_with_did_you_mean(shop, pyflow):
    result = _ls(pyflow, shop, "-s", "tagg:x", expect=1)

    assert "unknown selector method 'tagg'" in result.stderr
    assert "Did you mean 'tag'?" in result.stderr


@pytest.mark.parametrize("criterion", ["source_status:fresher", "exposure:weekly"])
def test_ls_source_status_and_exposure_say_they_are_not_supported_yet(shop, pyflow, criterion):
    result = _ls(pyflow, shop, "-s", criterion, expect=1)

    method = criterion.split(":")[0]
    assert f"uses selector method '{method}:', which pyflow does not support yet" in result.stderr
    assert "[unsupported-selector]" in result.stderr
    assert "unknown selector method" not in result.stderr


def test_ls_output_selector_round_trips(shop, pyflow):
    selectors = _ls(pyflow, shop, "-s", "+fct_orders", "--output", "selector").stdout.split()
    assert "shop.staging.stg_orders" in selectors
    assert "source:shop.ecommerce.orders" in selectors

    again = _ls(pyflow, shop, "-s", *selectors, "--indirect-selection", "empty").stdout.split()
    names = _ls(pyflow, shop, "-s", "+fct_orders").stdout.split()
    assert sorted(again) == sorted(names)


def test_ls_output_keys_limits_json(shop, pyflow):
    out = _ls(pyflow, shop, "-s", "country_codes", "--resource-type", "seed", "--output", "json",
              "--output-keys", "name unique_id", "--output-keys", "fqn").stdout  # fmt: skip

    assert [json.loads(line) for line in out.splitlines()] == [
        {"name": "country_codes", "unique_id": "seed.shop.country_codes", "fqn": ["shop", "country_codes"]}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "yaml"], "--output must be one of name, path, json, selector"),
        (["--resource-type", "tests"], "did you mean 'test'?"),
        (["--output", "json", "--output-keys", "nam"], "did you mean 'name'?"),
        (["--output-keys", "name"], "--output-keys needs --output json"),
        (["--indirect-selection", "eagre"], "Did you mean 'eager'?"),
    ],
)
def test_ls_bad_options_say_what_is_allowed(shop, pyflow, args, message):
    result = _ls(pyflow, shop, *args, expect=1 if "--indirect-selection" in args else 2)

    assert message in result.stderr


def test_build_found_line_counts_every_kind(shop, pyflow):
    result = pyflow("seed", "--project-dir", shop)  # no selection: the whole project loads

    assert (
        "Found 7 models, 1 seed, 1 snapshot, 30 data tests, 5 unit tests, 2 sources, 3 macros"
        in result.stdout
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("eager", STG_ORDERS_OWN_TESTS | STG_ORDERS_SHARED_TESTS),
        ("cautious", STG_ORDERS_OWN_TESTS),
        ("empty", set()),
    ],
)
def test_test_command_runs_the_tests_indirect_selection_picks(
    built_shop, pyflow, run_results, mode, expected
):
    pyflow("test", "--project-dir", built_shop, "-s", "stg_orders", "--indirect-selection", mode)

    assert set(run_results(built_shop)) == expected


def test_compile_warns_when_a_criterion_matches_nothing(shop, pyflow):
    result = pyflow("compile", "--project-dir", shop, "-s", "nosuch")

    assert "The selection criterion 'nosuch' does not match any enabled nodes" in result.stderr


def test_run_with_an_empty_selection_says_nothing_to_do(shop, pyflow):
    result = pyflow("run", "--project-dir", shop, "-s", "nosuch")

    assert "[WARNING] The selection criterion 'nosuch' does not match any enabled nodes" in result.stdout
    assert (
        "[WARNING] Nothing to do. Try checking your model configs and model specification args"
        in result.stdout
    )
    assert "Done. PASS=0 WARN=0 ERROR=0 SKIP=0 TOTAL=0" in result.stdout
