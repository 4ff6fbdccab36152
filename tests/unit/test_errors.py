"""Tests for pyflow.errors: how structured fields render, and the hierarchy."""

from __future__ import annotations

import pytest

from pyflow import errors
from pyflow.errors import (
    AdapterError,
    CancelledError,
    CompileError,
    ErrorGroup,
    GraphError,
    MaterializationError,
    ProjectError,
    PyflowError,
    SelectionError,
    UnsupportedError,
    closest,
)


def test_error_renders_model_location_suggestions_fix_and_code() -> None:
    err = GraphError(
        "depends on 'custmers', which is not a model",
        model="orders_enriched",
        path="models/orders.py",
        line=42,
        suggestions=["customers"],
        hint="rename the parameter",
        code="missing-dependency",
    )

    assert str(err) == (
        "model 'orders_enriched' (models/orders.py:42): depends on 'custmers', which is not a model\n"
        "  Did you mean 'customers'?\n"
        "  Fix: rename the parameter\n"
        "  [missing-dependency] see docs/errors.md#missing-dependency"
    )


def test_error_headline_without_model_starts_with_the_location() -> None:
    err = ProjectError("invalid YAML", path="pyflow.yml", line=3)

    assert err.headline() == "pyflow.yml:3: invalid YAML"
    assert err.location == "pyflow.yml:3"


def test_error_location_without_line_is_the_path() -> None:
    assert ProjectError("x", path="profiles.yml").location == "profiles.yml"
    assert ProjectError("x").location is None
    assert ProjectError("x").headline() == "x"


def test_error_detail_is_indented_between_headline_and_fix() -> None:
    err = CompileError("boom", path="models/m.sql", line=2, detail="  1 | select\n> 2 | {{", hint="fix it")

    assert str(err).splitlines() == [
        "models/m.sql:2: boom",
        "    1 | select",
        "  > 2 | {{",
        "  Fix: fix it",
        "  [compile-error] see docs/errors.md#compile-error",
    ]


def test_error_code_defaults_to_the_class_code_and_can_be_overridden() -> None:
    assert ProjectError("x").code == "project-error"
    assert ProjectError("x", code="no-project").code == "no-project"
    assert ProjectError.code == "project-error"


def test_error_to_dict_holds_every_structured_field() -> None:
    err = CompileError("m", model="a", path="p.py", line=1, hint="h", suggestions=["b"], code="c")

    assert err.to_dict() == {
        "code": "c",
        "message": "m",
        "model": "a",
        "path": "p.py",
        "line": 1,
        "hint": "h",
        "suggestions": ["b"],
    }


def test_error_group_numbers_each_error_and_counts_them() -> None:
    group = ErrorGroup(
        [
            ProjectError("first", path="a.yml", line=1, hint="fix a", code="one"),
            GraphError("second", model="m", path="m.py", line=2, code="two"),
        ]
    )

    assert str(group).splitlines() == [
        "2 error(s) found in the project:",
        "1. a.yml:1: first",
        "     Fix: fix a",
        "     [one] see docs/errors.md#one",
        "2. model 'm' (m.py:2): second",
        "     [two] see docs/errors.md#two",
    ]
    assert group.code == "multiple-errors"
    assert isinstance(group, ProjectError)


@pytest.mark.parametrize(
    "cls",
    [
        ProjectError,
        ErrorGroup,
        GraphError,
        SelectionError,
        CompileError,
        AdapterError,
        MaterializationError,
        UnsupportedError,
        CancelledError,
    ],
)
def test_error_classes_are_pyflow_errors_with_documented_codes(cls: type[PyflowError]) -> None:
    assert issubclass(cls, PyflowError)
    assert cls.code and cls.code == cls.code.lower() and " " not in cls.code
    assert cls.__name__ in (errors.__doc__ or "")


def test_closest_suggests_similar_names_only() -> None:
    assert closest("custmers", ["customers", "orders", "customers"]) == ["customers"]
    assert closest("zzz", ["customers", "orders"]) == []
