"""`--select a b` and `--exclude a b` (dbt's space-separated union) on the command line."""

from __future__ import annotations

import pytest


@pytest.fixture
def mixed(copy_project):
    return copy_project("mixed")


def test_ls_select_takes_several_words(mixed, pyflow):
    names = pyflow("ls", "--project-dir", mixed, "--select", "stg_customers", "big_spenders").stdout.split()

    assert sorted(names) == ["big_spenders", "stg_customers"]


def test_ls_exclude_takes_several_words(mixed, pyflow):
    args = ["-s", "+big_spenders", "--exclude", "tag:staging", "raw_orders", "raw_customers"]

    names = pyflow("ls", "--project-dir", mixed, *args).stdout.split()

    assert sorted(names) == ["big_spenders", "customer_report", "int_order_totals"]


def test_run_select_takes_several_words_before_other_options(mixed, pyflow, run_results):
    pyflow("seed", "--project-dir", mixed)

    pyflow("run", "--select", "stg_orders", "stg_customers", "--threads", "1", "--project-dir", mixed)

    assert set(run_results(mixed)) == {"stg_orders", "stg_customers"}
