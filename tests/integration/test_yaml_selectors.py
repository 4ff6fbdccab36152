"""`--selector NAME` and `default: true` from selectors.yml, end to end on the `mixed` project.

raw_orders (seed)    -> stg_orders (py, tag staging) -> int_order_totals (sql) -+
raw_customers (seed) -> stg_customers (sql, tag staging) -----------------------+-> customer_report
customer_report (py, tag finance) -> big_spenders (sql)
"""

from __future__ import annotations

import pytest

SELECTORS = """
selectors:
  - name: staging_down
    description: staging models and what reads them, but not the finance marts
    definition:
      union:
        - method: tag
          value: staging
          children: true
        - exclude:
            - tag:finance
  - name: seeds_then_staging
    default: true
    definition:
      intersection:
        - method: fqn
          value: mixed
        - method: resource_type
          value: seed
          children_depth: 1
"""


@pytest.fixture
def mixed(copy_project):
    project = copy_project("mixed")
    (project / "selectors.yml").write_text(SELECTORS, encoding="utf-8")
    return project


def test_ls_selector_uses_the_named_definition(mixed, pyflow):
    names = pyflow("ls", "--project-dir", mixed, "--selector", "staging_down").stdout.split()

    assert sorted(names) == ["big_spenders", "int_order_totals", "stg_customers", "stg_orders"]


def test_default_selector_applies_without_select(mixed, pyflow):
    names = pyflow("ls", "--project-dir", mixed).stdout.split()

    assert sorted(names) == ["raw_customers", "raw_orders", "stg_customers", "stg_orders"]


def test_select_overrides_the_default_selector(mixed, pyflow):
    assert pyflow("ls", "--project-dir", mixed, "-s", "big_spenders").stdout.split() == ["big_spenders"]


def test_build_with_selector_builds_only_its_nodes(mixed, pyflow, run_results):
    result = pyflow("build", "--project-dir", mixed, "--selector", "seeds_then_staging")

    assert "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4" in result.output
    assert set(run_results(mixed)) == {"raw_customers", "raw_orders", "stg_customers", "stg_orders"}


def test_selector_with_select_is_an_error(mixed, pyflow):
    result = pyflow("ls", "--project-dir", mixed, "--selector", "staging_down", "-s", "x", expect=1)

    assert "--selector 'staging_down' cannot be combined with --select or --exclude" in result.stderr


def test_unknown_selector_suggests_the_closest(mixed, pyflow):
    result = pyflow("run", "--project-dir", mixed, "--selector", "staging_dwn", expect=1)

    assert "Did you mean 'staging_down'?" in result.stderr
    assert "[unknown-selector]" in result.stderr


def test_broken_selectors_file_names_file_and_line(mixed, pyflow):
    (mixed / "selectors.yml").write_text("selectors:\n  - name: a\n    definition: {method: tagg}\n")

    result = pyflow("ls", "--project-dir", mixed, "--selector", "a", expect=1)

    assert "selectors.yml:3" in result.stderr
    assert "[invalid-selectors]" in result.stderr


def test_unknown_method_in_a_definition_names_its_line(mixed, pyflow):
    (mixed / "selectors.yml").write_text(
        "selectors:\n  - name: a\n    definition:\n      union:\n        - {method: tagg, value: x}\n"
    )

    result = pyflow("ls", "--project-dir", mixed, "--selector", "a", expect=1)

    assert "selector 'a' (selectors.yml:5) 'tagg:x' uses unknown selector method 'tagg'" in result.stderr
    assert "Did you mean 'tag'?" in result.stderr
