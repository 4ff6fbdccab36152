"""``selectors.yml``: dbt's named YAML selectors, read into :mod:`pyflow.core.selector` specs.

Owns the file's shape (``selectors:`` list of ``name``, ``description``, ``default``,
``definition``) and turning each definition into a
:class:`~pyflow.core.selector.SelectorSpec`; evaluating them is the selector's job. A
definition is a string in ``--select`` syntax, a ``method``/``value`` mapping (with
``parents``, ``children``, ``parents_depth``, ``children_depth``, ``childrens_parents``,
``indirect_selection`` and ``exclude``), a one-key shorthand (``tag: nightly``), or
``union`` / ``intersection`` lists whose ``exclude`` items are subtracted. ``method: selector``
includes another selector by name. Every mistake names the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from pyflow.config.yamlfile import Loc, YamlDoc, load_yaml
from pyflow.core.selector import (
    INDIRECT_MODES,
    IndirectSelection,
    SelectorMethod,
    SelectorSet,
    SelectorSpec,
    SelectorText,
)
from pyflow.errors import ProjectError, SelectionError, closest

SELECTORS_FILE = "selectors.yml"
_ENTRY_KEYS = ("name", "description", "default", "definition")
_METHOD_KEYS = (
    "method",
    "value",
    "parents",
    "children",
    "parents_depth",
    "children_depth",
    "childrens_parents",
    "indirect_selection",
    "exclude",
)


@dataclass(frozen=True)
class SelectorDefinition:
    """One named selector of ``selectors.yml``."""

    name: str
    spec: SelectorSpec
    description: str = ""
    default: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Selectors:
    """Every selector of a project's ``selectors.yml`` (none when the file does not exist)."""

    by_name: Mapping[str, SelectorDefinition]
    path: str = SELECTORS_FILE

    @property
    def default(self) -> SelectorDefinition | None:
        """The selector marked ``default: true``, used when no selection is given."""
        return next((s for s in self.by_name.values() if s.default), None)

    def get(self, name: str) -> SelectorDefinition:
        """The selector called ``name``; a :class:`SelectionError` with suggestions otherwise."""
        if name in self.by_name:
            return self.by_name[name]
        where = f"in {self.path}" if self.by_name else f"because there is no {self.path}"
        raise SelectionError(
            f"--selector '{name}' names no selector {where}",
            hint=f"use one of: {', '.join(sorted(self.by_name))}"
            if self.by_name
            else f"define it in {self.path} at the project root (see docs/cli.md#yaml-selectors)",
            suggestions=closest(name, self.by_name),
            code="unknown-selector",
        )


class _Parser:
    def __init__(self, doc: YamlDoc, raw: Mapping[str, tuple[Any, Loc]]) -> None:
        self.doc = doc
        self.raw = raw
        self.resolving: list[str] = []

    def error(self, message: str, loc: Loc, hint: str, suggestions: list[str] | None = None) -> ProjectError:
        return ProjectError(
            message,
            path=self.doc.display,
            line=self.doc.line_of(loc),
            hint=hint,
            suggestions=suggestions or [],
            code="invalid-selectors",
        )

    def label(self, loc: Loc) -> str:
        return f"selector '{self.resolving[-1]}' ({self.doc.display}:{self.doc.line_of(loc)})"

    def named(self, name: str, loc: Loc) -> SelectorSpec:
        if name not in self.raw:
            raise self.error(
                f"'selector:{name}' names no selector",
                loc,
                "use the name of a selector defined in this file",
                closest(name, self.raw),
            )
        if name in self.resolving:
            chain = " -> ".join([*self.resolving[self.resolving.index(name) :], name])
            raise self.error(f"selectors include each other in a cycle: {chain}", loc, "break the cycle")
        self.resolving.append(name)
        try:
            return self.spec(*self.raw[name])
        finally:
            self.resolving.pop()

    def spec(self, value: Any, loc: Loc) -> SelectorSpec:
        if isinstance(value, str):
            return SelectorText(value, label=self.label(loc))
        if not isinstance(value, dict) or not value:
            raise self.error(
                "a selector definition must be a string or a mapping",
                loc,
                "write e.g. 'tag:nightly', {method: tag, value: nightly} or {union: [...]}",
            )
        if set(value) & {"union", "intersection"}:
            return self.set_op(value, loc)
        if "method" in value or "value" in value:
            return self.method(value, loc)
        if len(value) == 1:  # shorthand: {tag: nightly}
            ((method, arg),) = value.items()
            return self.method({"method": method, "value": arg}, loc)
        raise self.error(
            f"cannot read the definition with keys {', '.join(map(str, value))}",
            loc,
            "use union:, intersection:, or method: and value:",
        )

    def set_op(self, value: dict[str, Any], loc: Loc) -> SelectorSpec:
        if len(value) != 1:
            raise self.error("union: or intersection: must be the only key of its mapping", loc, "nest them")
        ((op, items),) = value.items()
        if not isinstance(items, list) or not items:
            raise self.error(
                f"{op}: must be a non-empty list", (*loc, op), f"write {op}: [<definition>, ...]"
            )
        included: list[SelectorSpec] = []
        excluded: list[SelectorSpec] = []
        for i, item in enumerate(items):
            where = (*loc, op, i)
            if isinstance(item, dict) and set(item) == {"exclude"}:
                excluded.extend(self.excludes(item["exclude"], (*where, "exclude")))
            else:
                included.append(self.spec(item, where))
        if not included:
            raise self.error(f"{op}: holds only exclude items", (*loc, op), "add something to select")
        return SelectorSet(cast("Literal['union', 'intersection']", op), tuple(included), tuple(excluded))

    def excludes(self, value: Any, loc: Loc) -> list[SelectorSpec]:
        items = value if isinstance(value, list) else [value]
        return [
            self.spec(item, (*loc, i) if isinstance(value, list) else loc) for i, item in enumerate(items)
        ]

    def method(self, value: dict[str, Any], loc: Loc) -> SelectorSpec:
        unknown = [k for k in value if k not in _METHOD_KEYS]
        if unknown:
            raise self.error(
                f"unknown key '{unknown[0]}' in a selector method",
                (*loc, unknown[0]),
                "use " + ", ".join(_METHOD_KEYS),
                closest(str(unknown[0]), _METHOD_KEYS),
            )
        method, arg = value.get("method"), value.get("value")
        if not isinstance(method, str) or not isinstance(arg, str | int | float | bool):
            raise self.error(
                "a selector method needs 'method' and 'value' strings", loc, "write method: tag, value: x"
            )
        spec: SelectorSpec
        if method == "selector":
            spec = self.named(str(arg), (*loc, "value"))
        else:
            spec = SelectorMethod(
                method=method,
                value=str(arg),
                label=self.label(loc),
                parents=self.flag(value, "parents", loc),
                parents_depth=self.depth(value, "parents_depth", loc),
                children=self.flag(value, "children", loc),
                children_depth=self.depth(value, "children_depth", loc),
                childrens_parents=self.flag(value, "childrens_parents", loc),
                indirect_selection=self.indirect(value, loc),
            )
        if "exclude" in value:
            return SelectorSet("union", (spec,), tuple(self.excludes(value["exclude"], (*loc, "exclude"))))
        return spec

    def flag(self, value: dict[str, Any], key: str, loc: Loc) -> bool:
        got = value.get(key, False)
        if not isinstance(got, bool):
            raise self.error(f"'{key}' must be true or false, not {got!r}", (*loc, key), f"write {key}: true")
        return got

    def depth(self, value: dict[str, Any], key: str, loc: Loc) -> int | None:
        got = value.get(key)
        if got is not None and (isinstance(got, bool) or not isinstance(got, int) or got < 0):
            raise self.error(
                f"'{key}' must be a whole number >= 0, not {got!r}", (*loc, key), f"write {key}: 1"
            )
        return got if got is None else int(got)

    def indirect(self, value: dict[str, Any], loc: Loc) -> IndirectSelection | None:
        got = value.get("indirect_selection")
        if got is not None and got not in INDIRECT_MODES:
            raise self.error(
                f"'indirect_selection' must be one of {', '.join(INDIRECT_MODES)}, not {got!r}",
                (*loc, "indirect_selection"),
                "write indirect_selection: cautious",
                closest(str(got), INDIRECT_MODES),
            )
        return cast("IndirectSelection | None", got)


def load_selectors(root: Path) -> Selectors:
    """Read ``<root>/selectors.yml``; no file means no selectors."""
    path = root / SELECTORS_FILE
    if not path.is_file():
        return Selectors({})
    doc = load_yaml(path, display=SELECTORS_FILE)
    data = doc.data
    fix = "write selectors: [{name: nightly, definition: 'tag:nightly'}, ...]"
    if not isinstance(data, dict) or set(data) != {"selectors"} or not isinstance(data["selectors"], list):
        raise ProjectError(
            "selectors.yml must hold one key, 'selectors', with a list",
            path=SELECTORS_FILE,
            line=1,
            hint=fix,
            code="invalid-selectors",
        )
    raw: dict[str, tuple[Any, Loc]] = {}
    entries: list[tuple[dict[str, Any], Loc]] = []
    parser = _Parser(doc, raw)
    for i, entry in enumerate(data["selectors"]):
        loc: Loc = ("selectors", i)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "definition" not in entry:
            raise parser.error("each selector needs a 'name' and a 'definition'", loc, fix)
        unknown = [k for k in entry if k not in _ENTRY_KEYS]
        if unknown:
            raise parser.error(
                f"unknown key '{unknown[0]}' in selector '{entry['name']}'",
                (*loc, unknown[0]),
                "use " + ", ".join(_ENTRY_KEYS),
                closest(str(unknown[0]), _ENTRY_KEYS),
            )
        if entry["name"] in raw:
            raise parser.error(f"selector '{entry['name']}' is defined twice", loc, "rename one of them")
        if not isinstance(entry.get("default", False), bool):
            raise parser.error(
                "'default' must be true or false",
                (*loc, "default"),
                "write default: true (Jinja is not read here)",
            )
        raw[entry["name"]] = (entry["definition"], (*loc, "definition"))
        entries.append((entry, loc))
    out: dict[str, SelectorDefinition] = {}
    for entry, loc in entries:
        name = entry["name"]
        parser.resolving = [name]
        out[name] = SelectorDefinition(
            name=name,
            spec=parser.spec(*raw[name]),
            description=str(entry.get("description") or ""),
            default=bool(entry.get("default", False)),
            line=doc.line_of(loc),
        )
    defaults = [s.name for s in out.values() if s.default]
    if len(defaults) > 1:
        raise parser.error(
            f"{len(defaults)} selectors are marked default: {', '.join(defaults)}",
            ("selectors",),
            "mark at most one selector 'default: true'",
        )
    return Selectors(out)
