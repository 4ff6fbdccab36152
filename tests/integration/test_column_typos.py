"""A misspelt column in a Python model: the error names the table, the closest columns and all of them.

Ibis says only "'Table' object has no attribute 'amout'" (or "Column 'amout' is not found in
table"); the model's inputs are known by name, so pyflow says which input, what was probably
meant and what there is, as it does for a misspelt parameter.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pyflow.errors import CompileError
from pyflow.testing import run_model

PAYMENTS = "select 1 as payment_id, 'card' as method, 2.5 as amount"


def _model(body: str) -> str:
    return f"""
        import ibis
        from pyflow import model


        @model()
        def totals(payments: ibis.Table) -> ibis.Table:
            p = payments
            return {body}
        """


def _failed_compile(make_project, pyflow, body: str) -> str:
    """The output of `pyflow compile` of a project whose model ``totals`` returns ``body``."""
    root = make_project({"models/payments.sql": PAYMENTS, "models/totals.py": _model(body)})
    return pyflow("compile", "--project-dir", root, expect=1).output


@pytest.mark.parametrize(
    "body",
    [
        'p.group_by("method").aggregate(total=p.amout.sum())',
        'p.group_by("method").aggregate(total=p["amout"].sum())',
        'p.select("method", "amout")',
        "p.filter(ibis._.amout > 1)",
    ],
    ids=["attribute", "item", "select", "deferred"],
)
def test_misspelt_input_column_names_the_input_and_the_closest_column(make_project, pyflow, body):
    out = _failed_compile(make_project, pyflow, body)

    assert "model 'totals' (models/totals.py:8)" in out
    assert "input 'payments' has no column 'amout'" in out
    assert "Did you mean 'amount'?" in out
    assert "its columns: payment_id, method, amount" in out


def test_misspelt_column_of_a_derived_table_still_gets_the_closest_column(make_project, pyflow):
    out = _failed_compile(make_project, pyflow, "p.mutate(cents=p.amount * 100).cent")

    assert "the table has no column 'cent'" in out
    assert "Did you mean 'cents'?" in out
    assert "its columns: payment_id, method, amount, cents" in out


def test_misspelt_table_method_suggests_the_method(make_project, pyflow):
    out = _failed_compile(make_project, pyflow, 'p.group_bye("method")')

    assert "AttributeError: 'Table' object has no attribute 'group_bye'" in out
    assert "Did you mean 'group_by'?" in out
    assert "has no column" not in out


def test_pyflow_testing_names_the_misspelt_column_too(make_project):
    root = make_project({"models/payments.sql": PAYMENTS, "models/totals.py": _model("p.select(p.amout)")})

    with pytest.raises(CompileError) as info:
        run_model(
            root,
            "totals",
            inputs={"payments": pd.DataFrame({"payment_id": [1], "method": ["a"], "amount": [1.0]})},
        )

    assert info.value.suggestions == ["amount"]
    assert "input 'payments' has no column 'amout'" in str(info.value)
