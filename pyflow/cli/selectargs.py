"""dbt's space-separated selector lists: ``--select a b`` means ``--select a --select b``.

Click gives an option one value per occurrence, so the words that follow ``--select`` /
``-s`` / ``--exclude`` (and ``--resource-type`` / ``--exclude-resource-type``) up to the next option are rewritten into one occurrence each before
the command line is parsed. Only ``pyflow show`` takes both ``--select`` and a positional
argument; its ``--select`` takes one node, so a second word there is refused, not read as
the argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup

MULTI_VALUE_OPTIONS = ("--select", "-s", "--exclude", "--resource-type", "--exclude-resource-type")
_LONG_FORMS = tuple(o for o in MULTI_VALUE_OPTIONS if o.startswith("--"))
"""The options also written ``--select=a`` (a word after it is the next value too)."""


def spread_selectors(args: Sequence[str]) -> list[str]:
    """``["--select", "a", "b", "--threads", "2"]`` -> ``["--select", "a", "--select", "b", ...]``."""
    out: list[str] = []
    option: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        if arg in MULTI_VALUE_OPTIONS:
            option = arg
            out.append(arg)
            continue
        if option is not None and not arg.startswith("-"):
            if out[-1] != option:  # a second (third ...) word: repeat the option before it
                out.append(option)
            out.append(arg)
            continue
        option = arg.split("=", 1)[0] if arg.split("=", 1)[0] in _LONG_FORMS else None
        out.append(arg)
    return out


class SelectorListGroup(TyperGroup):
    """The ``pyflow`` command group, reading ``--select a b`` as dbt does."""

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        """Rewrite selector lists, then run as usual."""
        import sys

        argv = list(sys.argv[1:] if args is None else args)
        return super().main(spread_selectors(argv), *a, **kw)
