"""dbt's as_bool / as_number / as_native / as_text filters (pyflow.core.nativefilters)."""

from __future__ import annotations

import pytest

from pyflow.core.nativefilters import TEXT_FILTERS, as_bool, as_native, as_number, as_text


@pytest.mark.parametrize(
    ("value", "text"), [(True, "True"), (False, "False"), ("true", "True"), (" FALSE ", "False")]
)
def test_as_bool_reads_booleans_and_their_text(value, text):
    assert as_bool(value) == text


@pytest.mark.parametrize("value", ["maybe", "1", 1, None, ""])
def test_as_bool_refuses_anything_else(value):
    with pytest.raises(ValueError, match="is not a boolean"):
        as_bool(value)


@pytest.mark.parametrize(("value", "text"), [(3, "3"), ("3", "3"), (" 2.5", "2.5"), (1e3, "1000.0")])
def test_as_number_reads_numbers_and_their_text(value, text):
    assert as_number(value) == text


@pytest.mark.parametrize("value", ["three", True, None, ""])
def test_as_number_refuses_anything_else(value):
    with pytest.raises(ValueError, match="is not a number"):
        as_number(value)


def test_as_native_reads_literals_and_keeps_other_text():
    assert (as_native("[1, 2]"), as_native("{'a': 1}"), as_native("abc"), as_native(3)) == (
        "[1, 2]",
        "{'a': 1}",
        "abc",
        "3",
    )


def test_in_sql_every_filter_is_text_as_dbts_markers_are():
    assert {name: f("maybe") for name, f in TEXT_FILTERS.items()} == dict.fromkeys(TEXT_FILTERS, "maybe")
    assert as_text(None) == "None"
