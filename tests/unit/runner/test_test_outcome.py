"""A test's outcome from its failing row count: severity, error_if and warn_if (dbt's rule)."""

from __future__ import annotations

import pytest

from pyflow.errors import CompileError
from pyflow.runner.noderun import decide, threshold


@pytest.mark.parametrize(
    ("rule", "failures", "holds"),
    [
        ("!= 0", 0, False),
        ("!= 0", 1, True),
        ("> 10", 10, False),
        ("> 10", 11, True),
        (">= 10", 10, True),
        ("< 3", 2, True),
        ("<= 3", 4, False),
        ("== 0", 0, True),
        ("= 2", 2, True),
        ("<> 2", 2, False),
    ],
)
def test_threshold(rule: str, failures: int, holds: bool) -> None:
    assert threshold(rule, failures) is holds


def test_threshold_that_cannot_be_read_is_a_compile_error() -> None:
    with pytest.raises(CompileError) as info:
        threshold("lots", 3)
    assert info.value.code == "invalid-test"
    assert "operator and a number" in str(info.value)


@pytest.mark.parametrize(
    ("severity", "error_if", "warn_if", "failures", "outcome"),
    [
        ("error", "!= 0", "!= 0", 0, "pass"),
        ("error", "!= 0", "!= 0", 1, "fail"),
        ("warn", "!= 0", "!= 0", 1, "warn"),
        ("warn", "!= 0", "!= 0", 0, "pass"),
        ("error", "> 10", "> 0", 5, "warn"),
        ("error", "> 10", "> 0", 11, "fail"),
        ("error", "> 10", "> 5", 3, "pass"),
        ("warn", "> 10", "> 50", 11, "warn"),  # with severity warn, error_if only warns
        ("error", ">= 3", ">= 1", 3, "fail"),
    ],
)
def test_decide(severity: str, error_if: str, warn_if: str, failures: int, outcome: str) -> None:
    assert decide(severity, error_if, warn_if, failures) == outcome
