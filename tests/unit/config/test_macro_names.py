"""Macro files are parsed once: later loads take the names they define from the parse cache.

Parsing every macro file at each load cost about a millisecond a file (a package such as
dbt_utils has hundreds). Whatever a load learns from the cache must be what parsing finds:
the macros, their duplicates with file and line, and syntax errors (never cached).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from pyflow.config.loader import load_project
from pyflow.errors import ErrorGroup, PyflowError

ProjectFactory = Callable[..., Path]

MACROS = {
    "macros/money.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n\n"
    "{% macro dollars(x) %}({{ x }} / 100){% endmacro %}\n",
    "models/docs.md": "{% docs orders %}Orders.{% enddocs %}\n",
    "models/a.sql": "select {{ cents(2) }} as c, {{ dollars(300) }} as d\n",
}


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files Jinja parses whole (macro files, docs files) in this test."""
    seen: list[str] = []
    original = jinja2.Environment.parse

    def parse(
        self: jinja2.Environment, source: str, name: str | None = None, filename: str | None = None
    ) -> Any:
        seen.append(str(filename or name))
        return original(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "parse", parse)
    return seen


def _load_errors(root: Path) -> list[PyflowError]:
    try:
        load_project(root)
    except ErrorGroup as group:
        return list(group.errors)
    except PyflowError as exc:
        return [exc]
    return []


def test_a_second_load_parses_no_unchanged_macro_file(
    make_project: ProjectFactory, parses: list[str]
) -> None:
    root = make_project(MACROS)
    first = load_project(root)
    parsed_first = sorted(parses)
    parses.clear()

    second = load_project(root)

    assert {"macros/money.sql", "models/docs.md"} <= set(parsed_first)
    assert "macros/money.sql" not in parses and "models/docs.md" not in parses
    assert second.jinja.macro_paths == first.jinja.macro_paths
    assert {"cents", "dollars"} <= set(second.jinja.macro_paths)
    assert second.jinja.doc_text("orders") == "Orders."


def test_an_edited_macro_file_is_parsed_again(make_project: ProjectFactory, parses: list[str]) -> None:
    root = make_project(MACROS)
    load_project(root)
    (root / "macros/money.sql").write_text("{% macro euros(x) %}{{ x }}{% endmacro %}\n")
    (root / "models/a.sql").write_text("select {{ euros(1) }} as e\n")
    parses.clear()

    project = load_project(root)

    assert "macros/money.sql" in parses
    assert "euros" in project.jinja.macro_paths and "cents" not in project.jinja.macro_paths


def test_a_duplicate_macro_is_reported_on_every_load_with_its_line(make_project: ProjectFactory) -> None:
    root = make_project(
        {**MACROS, "macros/more.sql": "-- more\n-- money\n{% macro cents(x) %}{{ x }}{% endmacro %}\n"}
    )

    first, second = _load_errors(root), _load_errors(root)

    assert [(e.code, e.path, e.line) for e in first] == [("duplicate-macro", "macros/more.sql", 3)]
    assert [(e.code, e.path, e.line, str(e)) for e in second] == [
        (e.code, e.path, e.line, str(e)) for e in first
    ]


def test_a_macro_file_that_does_not_parse_is_reported_on_every_load(make_project: ProjectFactory) -> None:
    root = make_project({**MACROS, "macros/bad.sql": "{% macro f() %}\n{{ x }\n{% endmacro %}\n"})

    first, second = _load_errors(root), _load_errors(root)

    assert first and [e.path for e in first] == ["macros/bad.sql"]
    assert [str(e) for e in second] == [str(e) for e in first]
