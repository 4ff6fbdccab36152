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


MAX_ALIAS_NODES = 100_000
"""How many nodes aliases (``*name``, ``<<: *name``) may add to one document by expansion.

Ordinary anchors (shared defaults merged into a few dozen entries) stay far below; a
"billion laughs" document, whose aliases nest aliases, reaches it within a few lines."""
MAX_DEPTH = 200
"""How deeply mappings and lists may nest (deeper input would exhaust Python's stack)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting what each alias adds before the document is expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.expanded = 0
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(event.anchor)
            if target is not None:
                self.expanded += self._size(target)
                if self.expanded > MAX_ALIAS_NODES:
                    raise _Refused(
                        f"aliases expand this document beyond {MAX_ALIAS_NODES:,} values "
                        f"(at alias '*{event.anchor}')",
                        event.start_mark.line + 1,
                        "use fewer nested aliases (a YAML 'billion laughs' document is refused); "
                        "write the values out, or share them with vars or config blocks",
                        code="yaml-too-large",
                    )
        return super().compose_node(parent, index)

    def _size(self, node: yaml.Node) -> int:
        """Values under ``node`` once every alias is expanded (memoised; cycles count once)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        self.sizes[id(node)] = 1  # a cycle (recursive alias) is refused later, when walked
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(self._size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(self._size(k) + self._size(v) for k, v in node.value)
        self.sizes[id(node)] = total
        return total


class _Refused(Exception):
    """A document pyflow will not expand: message, 1-based line, fix, error code."""

    def __init__(self, message: str, line: int, hint: str, code: str = "invalid-yaml") -> None:
        super().__init__(message)
        self.message, self.line, self.hint, self.code = message, line, hint, code


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_KINDS = {yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}


class _Shared(Exception):
    """A node reached twice (an alias): the fast reading leaves the document to :class:`_Loader`."""


class _Walker:
    """Builds plain Python data from a node graph, recording the line of every key.

    ``once``: refuse (:class:`_Shared`) any node reached a second time, so aliases are expanded
    only by the loader that counts what they add.
    """

    def __init__(self, loader: Any, *, once: bool = False) -> None:
        self.loader = loader
        self.lines: dict[Loc, int] = {}
        self.path: set[int] = set()  # ids of the collections being walked (cycle detection)
        self.seen: set[int] | None = set() if once else None

    def walk(self, node: yaml.Node, loc: Loc) -> Any:
        if self.seen is not None:
            if id(node) in self.seen:
                raise _Shared
            self.seen.add(id(node))
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.path:
            raise _Refused(
                "a recursive alias: this anchor contains an alias to itself",
                node.start_mark.line + 1,
                "remove the alias that points back to its own anchor",
            )
        if len(self.path) >= MAX_DEPTH:
            raise _Refused(
                f"values nest more than {MAX_DEPTH} levels deep",
                node.start_mark.line + 1,
                "flatten the structure",
            )
        if node.tag not in _PLAIN_TAGS:
            raise _Refused(
                f"invalid YAML: the tag '{node.tag}' is not plain YAML",
                node.start_mark.line + 1,
                "remove the '!' tag: pyflow reads plain YAML values only",
            )
        self.path.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, loc)
            return [self.walk(item, (*loc, i)) for i, item in enumerate(node.value)]
        finally:
            self.path.discard(id(node))

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # merge keys (<<: *defaults), as PyYAML's loader does
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(
                    f"a key is {_KINDS.get(type(key_node), 'not a plain value')}",
                    key_node.start_mark.line + 1,
                    "write keys as plain names (a '?' or '[...]' before ':' makes a complex key)",
                )
            key = self.scalar(key_node)
            child = (*loc, key)
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, child)
        return out

    def scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, IndexError, TypeError, OverflowError) as exc:
            # a date like 2024-13-45, an integer of over 4,300 digits, an empty `!!int`
            reason = "an integer too long to convert" if "digits" in str(exc) else str(exc)
            raise _Refused(
                f"cannot read the value {_preview(node)}: {reason}",
                node.start_mark.line + 1,
                "quote the value to keep it as text (and drop any '!!' tag before it)",
            ) from None


def _preview(node: yaml.Node) -> str:
    text = str(node.value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProjectError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            path=shown,
            line=line,
            hint="save the file with UTF-8 encoding (your editor's 'save with encoding')",
            code="not-utf8",
        ) from None


def read_text(path: Path, display: str | None = None) -> str:
    """A project file's text; a file that is not UTF-8 is a ProjectError naming its line."""
    return _decode(path.read_bytes(), display or str(path))


def load_yaml(path: Path | None, display: str | None = None, text: str | None = None) -> YamlDoc:
    """Read ``path`` (or ``text``) into a :class:`YamlDoc`; every problem is a ProjectError.

    Syntax errors, non-UTF-8 bytes, keys that are lists or mappings, unreadable values, recursive
    aliases and alias expansion past :data:`MAX_ALIAS_NODES` all name the file and line.
    """
    shown = display or str(path)
    if text is None and path is None:
        raise TypeError("load_yaml needs a path or a text")
    source = read_text(path, shown) if path is not None and text is None else str(text)
    fast = _read_with_libyaml(source)
    if fast is not None:
        return YamlDoc(path=path or Path(shown), data=fast[0], lines=fast[1], display=shown)
    loader: _Loader | None = None
    try:
        loader = _Loader(source)  # checks the characters first: may raise a ReaderError
        walker = _Walker(loader)
        node = loader.get_single_node()
        data = {} if node is None else walker.walk(node, ())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        hint = "fix the YAML syntax (indentation, colons, quotes) at that line"
        if "for the tag" in problem:  # !!python/object, !custom: not plain data
            hint = "remove the '!' tag: pyflow reads plain YAML values only"
        if isinstance(exc, yaml.reader.ReaderError):
            line = source[: exc.position].count("\n") + 1
            char = exc.character
            shown_char = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            problem = f"a character YAML does not allow ({shown_char})"
            hint = "remove the control character (or write it as an escape inside double quotes)"
        raise ProjectError(
            f"invalid YAML: {problem}", path=shown, line=line, hint=hint, code="invalid-yaml"
        ) from None
    except _Refused as exc:
        raise ProjectError(exc.message, path=shown, line=exc.line, hint=exc.hint, code=exc.code) from None
    except RecursionError:
        raise ProjectError(
            "values nest too deeply to read",
            path=shown,
            line=1,
            hint=f"flatten the structure (at most {MAX_DEPTH} levels)",
            code="invalid-yaml",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDoc(path=path or Path(shown), data=data, lines=walker.lines, display=shown)


_CLoader: Any = getattr(yaml, "CSafeLoader", None)
"""PyYAML's safe loader on LibYAML's parser (about 15x faster), when PyYAML was built with it."""


def _read_with_libyaml(source: str) -> tuple[Any, dict[Loc, int]] | None:
    """The data and key lines of a document without aliases, parsed by LibYAML; None otherwise.

    None also for any document LibYAML or the walk refuses: :func:`load_yaml` then reads it
    with :class:`_Loader`, which guards alias expansion and words the errors. What both read,
    they read the same (a test compares them).
    """
    if _CLoader is None:
        return None
    loader = _CLoader(source)
    try:
        walker = _Walker(loader, once=True)
        node = loader.get_single_node()
        data = {} if node is None else walker.walk(node, ())
    except (yaml.YAMLError, _Refused, _Shared, RecursionError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    return data, walker.lines


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
