"""Finding custom generic tests and Python singular tests: which files are imported, signatures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflow import data_test, generic_test
from pyflow.config.customtest import generic_definition, jinja_definitions, singular_test, uses_test_decorator
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import DependencyRef
from pyflow.core.spec import TEST_ATTR
from pyflow.errors import ProjectError


@pytest.mark.parametrize(
    "text",
    [
        "from pyflow import generic_test\n\n@generic_test\ndef t(model):\n    return model\n",
        "import pyflow\n\n@pyflow.data_test(severity='warn')\ndef t(orders):\n    return orders\n",
        "from pyflow import data_test as dt, data_test\n\nclass X:\n    @data_test\n    def t(self): ...\n",
        "from pyflow import generic_test\n\n@generic_test\ndef broken(:\n",  # imported to report the syntax error
    ],
)
def test_files_using_the_decorators_are_imported(text: str) -> None:
    assert uses_test_decorator(text)


@pytest.mark.parametrize(
    "text",
    [
        "def test_orders():\n    assert 1\n",
        "# generic_test and data_test in a comment\nraise RuntimeError\n",
        "from pyflow import generic_test\n\nx = generic_test\n",
        "import pytest\n\n@pytest.fixture\ndef data_test_rows():\n    return []\n",
    ],
)
def test_other_files_are_not_imported(text: str) -> None:
    assert not uses_test_decorator(text)


def test_generic_definition_reads_the_signature() -> None:
    @generic_test(severity="warn")
    def at_most(model: Any, column_name: str, value: int, inclusive: bool = True, **kwargs: Any) -> Any:
        return model

    definition = generic_definition(at_most, getattr(at_most, TEST_ATTR), "tests/generic/t.py")
    assert (definition.name, definition.language, definition.path) == (
        "at_most",
        "python",
        "tests/generic/t.py",
    )
    assert definition.required == ("column_name", "value")
    assert definition.optional == ("inclusive",)
    assert definition.any_argument
    assert definition.config == {"severity": "warn"}


def unique(model: Any, column_name: str) -> Any:
    return model


def no_model(table: Any) -> Any:
    return table


@pytest.mark.parametrize(
    ("fn", "message"),
    [(unique, "has the name of a built-in test"), (no_model, "first parameter, `model`")],
)
def test_generic_definition_errors(fn: Callable[..., Any], message: str) -> None:
    decorated = generic_test(fn)
    with pytest.raises(ProjectError, match=message) as info:
        generic_definition(decorated, getattr(decorated, TEST_ATTR), "t.py")
    assert info.value.path == "t.py" and info.value.hint


def test_singular_test_node() -> None:
    @data_test(severity="warn", tags=["finance"])
    def payments_match(orders: Any, bank__payments: Any, ctx: Any) -> Any:
        """Payments add up."""
        return orders

    spec = getattr(payments_match, TEST_ATTR)
    node = singular_test(spec, "tests/checks.py", "shop", [{"tags": ["nightly"]}], "source")
    assert (node.name, node.kind, node.language, node.test_name) == (
        "payments_match",
        "singular",
        "python",
        "payments_match",
    )
    assert node.config.severity == "warn"
    assert node.config.tags == ("nightly", "finance")
    assert [r.name for r in node.refs] == ["orders", "bank__payments"]
    assert all(isinstance(r, DependencyRef) and r.kind == "param" for r in node.refs)
    assert node.description == "Payments add up."


def test_jinja_definitions_read_test_blocks() -> None:
    jinja = JinjaProject(
        {
            "tests/generic/t.sql": "{% test at_most(model, column_name, value=10) %}select 1{% endtest %}\n"
            "{% test anything(model) %}{{ kwargs }}{% endtest %}\n"
            "{% test no_model(column_name) %}select 1{% endtest %}\n",
            "macros/m.sql": "{% macro helper(x) %}{{ x }}{% endmacro %}\n",
        }
    )
    found, errors = jinja_definitions(jinja)
    assert set(found) == {"at_most", "anything"}
    assert (found["at_most"].required, found["at_most"].optional, found["at_most"].any_argument) == (
        ("column_name",),
        ("value",),
        False,
    )
    assert found["anything"].any_argument
    assert [(e.code, e.line) for e in errors] == [("invalid-test", 3)]
    assert "takes no `model` parameter" in errors[0].message
