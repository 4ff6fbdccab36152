"""`--select a b`: dbt's space-separated selector list, spread into one option per word."""

from __future__ import annotations

import pytest

from pyflow.cli.selectargs import spread_selectors


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ls", "--select", "a", "b"], ["ls", "--select", "a", "--select", "b"]),
        (["ls", "-s", "a", "b", "c"], ["ls", "-s", "a", "-s", "b", "-s", "c"]),
        (
            ["run", "--select", "a", "b", "--exclude", "c", "d", "--threads", "2"],
            ["run", "--select", "a", "--select", "b", "--exclude", "c", "--exclude", "d", "--threads", "2"],
        ),
        (["ls", "--select=a", "b"], ["ls", "--select=a", "--select", "b"]),
        (["ls", "--select", "a", "--full-refresh", "b"], ["ls", "--select", "a", "--full-refresh", "b"]),
        (["ls", "--select", "tag:x,a+", "+b"], ["ls", "--select", "tag:x,a+", "--select", "+b"]),
        (["ls", "--select", "a", "--", "b"], ["ls", "--select", "a", "--", "b"]),
        (["show", "orders", "--limit", "3"], ["show", "orders", "--limit", "3"]),
    ],
)
def test_spread_selectors(args: list[str], expected: list[str]) -> None:
    assert spread_selectors(args) == expected
