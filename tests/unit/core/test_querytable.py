"""Tests for pyflow.core.querytable: the members of agate's Table that dbt macros use."""

from __future__ import annotations

import pytest

from pyflow.core.querytable import QueryTable


def test_columns_rows_and_indexing():
    table = QueryTable(["id", "name"], [(1, "a"), (2, "b")])

    assert table.column_names == ("id", "name")
    assert table.columns[0].values() == (1, 2)
    assert table.columns["name"].values() == ("a", "b")
    assert table.columns[1].name == "name"
    assert table.columns.keys() == ["id", "name"]
    assert table[0][0] == 1
    assert table.rows[1]["name"] == "b"
    assert table.rows[1].get("missing", "x") == "x"
    assert dict(table.rows[0].items()) == {"id": 1, "name": "a"}
    assert [row[1] for row in table] == ["a", "b"]
    assert len(table) == 2
    assert table.print_table() == ""


def test_unknown_column_name_is_a_key_error():
    with pytest.raises(KeyError):
        QueryTable(["id"], []).columns["nope"]


def test_empty_result_keeps_its_columns():
    table = QueryTable(["id"], [])
    assert table.columns[0].values() == ()
    assert list(table) == []
