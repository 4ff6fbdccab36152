"""assert_frame_equal: rows as a multiset, values cast to the actual types, a readable diff."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from pyflow.testing import assert_frame_equal
from pyflow.testing.frames import side_by_side

ACTUAL = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "day": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)],
        "amount": [0.1 + 0.2, 2.0, None],
    }
)


def _message(actual, expected, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        assert_frame_equal(actual, expected, **kwargs)
    return str(err.value)


def test_frames_equal_ignoring_order_with_values_cast_to_actual_types():
    expected = pd.DataFrame(
        {"id": [3, 1, 2], "day": ["2024-01-03", "2024-01-01", "2024-01-02"], "amount": [None, 0.3, 2]}
    )

    assert_frame_equal(ACTUAL, expected)


def test_frames_accept_pyarrow_tables():
    assert_frame_equal(pa.Table.from_pandas(ACTUAL), ACTUAL.iloc[::-1])


def test_frames_diff_shows_only_differing_rows_side_by_side():
    expected = ACTUAL.assign(amount=[0.3, 2.5, None])

    message = _message(ACTUAL, expected)

    assert "1 expected row(s) missing, 1 unexpected row(s)" in message
    lines = message.splitlines()
    assert any("expected, missing from actual" in ln and "| actual, not expected" in ln for ln in lines)
    row = next(ln for ln in lines if "2.5" in ln)
    left, right = row.split("|")
    assert left.split() == ["2", "2024-01-02", "2.5"]
    assert right.split() == ["2", "2024-01-02", "2.0*"]
    assert "2024-01-03" not in message and "0.3" not in message


def test_frames_rows_are_a_multiset():
    doubled = pd.concat([ACTUAL, ACTUAL.iloc[[0]]])

    message = _message(ACTUAL, doubled)

    assert "1 expected row(s) missing, 0 unexpected row(s)" in message


def test_frames_order_compared_when_asked():
    message = _message(ACTUAL, ACTUAL.iloc[::-1].reset_index(drop=True), ignore_order=False)

    assert "order compared" in message
    assert [ln.split()[0] for ln in message.splitlines()[-2:]] == ["0", "2"]  # rows numbered by position


def test_frames_different_columns_are_reported():
    message = _message(ACTUAL, ACTUAL.rename(columns={"amount": "amt"}))

    assert "only in actual: amount" in message
    assert "only in expected: amt" in message


def test_frames_columns_restrict_the_comparison():
    assert_frame_equal(ACTUAL, ACTUAL[["id"]].assign(other=1), columns=["id"])


def test_frames_check_dtype():
    expected = ACTUAL.assign(id=ACTUAL["id"].astype("int32"))

    assert_frame_equal(ACTUAL, expected)
    assert "column 'id' has type int64 in actual but int32 in expected" in _message(
        ACTUAL, expected, check_dtype=True
    )


def test_frames_value_that_cannot_be_cast_is_reported():
    message = _message(ACTUAL, ACTUAL.assign(day=["someday", "2024-01-02", "2024-01-03"]))

    assert "expected column 'day' cannot be read as DATE" in message


def test_frames_side_by_side_pairs_the_closest_rows_and_caps_the_list():
    lines = side_by_side(["k", "v"], [(1, "a"), (2, "b")], [(2, "x"), (9, "z")])

    assert [ln.split("|")[0].split() for ln in lines[2:]] == [["1", "a"], ["2", "b"], []]
    assert [ln.split("|")[1].split() for ln in lines[2:]] == [[], ["2", "x*"], ["9", "z"]]
    many = side_by_side(["k"], [(i,) for i in range(30)], [])
    assert many[-1] == "... and 10 more differing row(s)"
