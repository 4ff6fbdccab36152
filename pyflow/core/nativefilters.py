"""dbt's ``as_bool``, ``as_number``, ``as_native`` and ``as_text`` Jinja filters.

dbt renders config values (``+enabled: "{{ var('use_x') | as_bool }}"`` in dbt_project.yml)
with Python types in mind: the filter says which type the rendered text stands for. In a SQL
template they change nothing: dbt's markers are strings there, so ``{{ x | as_number }}``
renders ``x`` as text. pyflow reads a rendered config value as text too (``True``/``False``
become booleans, numbers are read by the config's types), so here each filter returns text, and
the config filters check that the value is of the type they name. A leaf module.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})


def as_text(value: Any) -> str:
    """``value`` as text (dbt: keep a numeric-looking string a string)."""
    return str(value)


def as_bool(value: Any) -> str:
    """``True`` or ``False`` for a boolean (or its text in any case); ValueError otherwise."""
    text = str(value).strip()
    if isinstance(value, bool) or text.lower() in _TRUE | _FALSE:
        return "True" if text.lower() in _TRUE else "False"
    raise ValueError(f"'{value}' is not a boolean (as_bool takes true or false)")


def as_number(value: Any) -> str:
    """The number ``value`` holds, as text; ValueError when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value).strip()
    try:
        number: int | float = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a number (as_number)") from None
    return str(number)


def as_native(value: Any) -> str:
    """``value`` read as a Python literal when it is one (``'[1, 2]'``), as text."""
    if not isinstance(value, str):
        return str(value)
    try:
        return str(ast.literal_eval(value.strip()))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


CONFIG_FILTERS: dict[str, Callable[[Any], str]] = {
    "as_bool": as_bool,
    "as_number": as_number,
    "as_native": as_native,
    "as_text": as_text,
}
"""For config values: each checks its type (an error names the file and line)."""
TEXT_FILTERS: dict[str, Callable[[Any], str]] = dict.fromkeys(CONFIG_FILTERS, as_text)
"""For SQL templates: dbt's markers are plain text there, whatever the filter."""
