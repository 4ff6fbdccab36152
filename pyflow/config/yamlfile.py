"""YAML documents that remember the line of every key, for errors that name file:line."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pyflow.errors import ProjectError, closest

Loc = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """Parsed YAML data plus ``lines``: key path -> 1-based line number."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    display: str = ""

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line of the deepest known prefix of ``loc``."""
        parts = tuple(loc)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_object(_CONSTRUCTOR, key_node, deep=True)
            child = (*loc, key)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return _CONSTRUCTOR.construct_object(node, deep=True)


_CONSTRUCTOR = yaml.SafeLoader("")


def load_yaml(path: Path, display: str | None = None, text: str | None = None) -> YamlDoc:
    """Read ``path`` (or ``text``) into a :class:`YamlDoc`; syntax errors name the line."""
    shown = display or str(path)
    source = path.read_text(encoding="utf-8") if text is None else text
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ProjectError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            path=shown,
            line=line,
            hint="fix the YAML syntax (indentation, colons, quotes) at that line",
            code="invalid-yaml",
        ) from exc
    lines: dict[Loc, int] = {}
    data = {} if node is None else _walk(node, (), lines)
    return YamlDoc(path=path, data=data, lines=lines, display=shown)


_UNKNOWN_KEY = re.compile(r"^Extra inputs are not permitted")


def validation_errors(
    exc: Any,
    doc: YamlDoc,
    *,
    base: Loc = (),
    allowed: Mapping[Loc, Sequence[str]] | None = None,
    model: str | None = None,
    what: str = "configuration",
) -> list[ProjectError]:
    """Turn a pydantic ``ValidationError`` into ProjectErrors with line and suggestions.

    ``allowed`` maps a location (relative to the validated object) to the valid key names there,
    so an unknown key gets a "did you mean".
    """
    errors: list[ProjectError] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        full = (*base, *loc)
        key = loc[-1] if loc else ""
        line = doc.line_of(full)
        if err["type"] == "extra_forbidden":
            parent = loc[:-1]
            table = allowed or {}
            last = tuple(p for p in parent if isinstance(p, str))[-1:]
            names = table.get(parent) or table.get(last, ())
            errors.append(
                ProjectError(
                    f"unknown {what} key '{key}'",
                    path=doc.display,
                    line=line,
                    model=model,
                    suggestions=closest(str(key), names),
                    hint=f"remove '{key}' or correct its spelling; valid keys: " + ", ".join(sorted(names)),
                    code="unknown-config-key",
                )
            )
        else:
            where = ".".join(str(p) for p in full) or "(top level)"
            errors.append(
                ProjectError(
                    f"invalid value for '{where}': {err['msg']}",
                    path=doc.display,
                    line=line,
                    model=model,
                    hint="see docs/configuration.md for the accepted values",
                    code="invalid-config",
                )
            )
    return errors
