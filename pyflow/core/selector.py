"""Node selection: dbt's ``--select`` / ``--exclude`` grammar evaluated over a :class:`Graph`.

Owns parsing of selection expressions and resolving them to unique ids; it knows nothing about
engines or running. The grammar, per ``--select`` / ``--exclude`` value::

    value      := criterion (" " criterion)*          space: union
    criterion  := atom ("," atom)*                    comma: intersection
    atom       := ["@"] [[N] "+"] [method ":"] pattern ["+" [N]]

* Graph operators: ``+x`` adds all ancestors of ``x``, ``x+`` all descendants, ``2+x`` / ``x+3``
  limit the depth, ``+x+`` does both, ``@x`` adds ``x``'s descendants and every ancestor of those
  (``@`` cannot be combined with ``+``).
* Methods: a bare pattern matches model/seed/snapshot names (shell wildcards: ``stg_*``; a
  pattern containing ``/`` is a path); ``tag:x``; ``path:models/staging`` (a folder or a file,
  project-relative); ``config.<key>:<value>`` (``config.materialized:table``,
  ``config.meta.owner:ana``); ``source:s`` / ``source:s.t``; ``resource_type:seed``;
  ``fqn:shop.staging``; ``name:x``; ``test_type:unit|data|generic|singular``; ``test_name:x``
  (a test's name or its generic test's name, ``test_name:unique``).

Several values union; ``exclude`` is removed afterwards; no ``select`` means every node. The
result keeps only ``resource_types`` (models, seeds and snapshots by default: never sources).
A select criterion that matches nothing yields a warning, as in dbt; an unknown method or a
malformed criterion is a :class:`~pyflow.errors.SelectionError` with a fix.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import ClassVar, get_args

from pydantic import BaseModel

from pyflow.core.graph import Graph
from pyflow.core.node import Node, ResourceType, SourceNode, TestNode
from pyflow.errors import SelectionError, closest

_ATOM = re.compile(
    r"^(?P<at>@)?(?:(?P<up_depth>\d*)(?P<up>\+))?(?P<body>[^@+]+)(?:(?P<down>\+)(?P<down_depth>\d*))?$"
)
_METHOD = re.compile(r"^(?P<method>[A-Za-z_][\w.]*):(?P<value>.*)$")
_RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)
_SELECTABLE_DEFAULT = frozenset(t for t in _RESOURCE_TYPES if t != "source")


@dataclass(frozen=True)
class Selection:
    """The outcome of :func:`select_nodes`.

    Attributes:
        ids: Unique ids of the selected nodes.
        warnings: One message per ``select`` criterion that matched no node.

    """

    ids: frozenset[str]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Atom:
    """One parsed criterion without commas, e.g. ``2+tag:daily+``."""

    raw: str
    method: str
    arguments: tuple[str, ...]
    value: str
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None
    childrens_parents: bool = False


def _error(message: str, hint: str, suggestions: Sequence[str] = ()) -> SelectionError:
    return SelectionError(message, hint=hint, suggestions=suggestions)


class _Method(ABC):
    """One selector method: decides whether a node matches ``value``."""

    takes_arguments: ClassVar[bool] = False

    def __init__(self, graph: Graph, arguments: tuple[str, ...], raw: str) -> None:
        """Bind to ``graph``; ``raw`` quotes the criterion (with its flag) for error messages."""
        self.graph = graph
        self.arguments = arguments
        self.raw = raw

    def search(self, value: str) -> set[str]:
        """Return the unique ids of the nodes matching ``value``."""
        return {uid for uid, node in self.graph.nodes.items() if self.matches(node, value)}

    @abstractmethod
    def matches(self, node: Node, value: str) -> bool:
        """Return whether ``node`` matches ``value``."""


class _NameMethod(_Method):
    def matches(self, node: Node, value: str) -> bool:
        return not isinstance(node, SourceNode) and fnmatchcase(node.name, value)


def _config(node: Node) -> BaseModel | None:
    cfg = getattr(node, "config", None)
    return cfg if isinstance(cfg, BaseModel) else None


def _tags(node: Node) -> tuple[str, ...]:
    if isinstance(node, SourceNode):
        return node.tags
    return tuple(getattr(_config(node), "tags", ()))


class _TagMethod(_Method):
    def matches(self, node: Node, value: str) -> bool:
        return any(fnmatchcase(tag, value) for tag in _tags(node))


class _PathMethod(_Method):
    def matches(self, node: Node, value: str) -> bool:
        want = PurePosixPath(value.replace("\\", "/")).parts
        have = PurePosixPath(node.path.replace("\\", "/")).parts
        return len(want) <= len(have) and all(map(fnmatchcase, have, want))


class _ConfigMethod(_Method):
    takes_arguments = True

    def __init__(self, graph: Graph, arguments: tuple[str, ...], raw: str) -> None:
        super().__init__(graph, arguments, raw)
        attributes: dict[str, str] = {}
        for node in graph.nodes.values():
            cfg = _config(node)
            if cfg is not None:
                fields = type(cfg).model_fields
                attributes.update({f.alias or name: name for name, f in fields.items()})
        if not arguments:
            raise _error(
                f"{raw} names no config key", "write config.<key>:<value>, e.g. config.materialized:table"
            )
        key = arguments[0]
        if attributes and key not in attributes:
            raise _error(
                f"{raw} uses config key '{key}', which no node in this project has",
                "use one of: " + ", ".join(sorted(attributes)),
                closest(key, attributes),
            )
        self.keys = (attributes.get(key, key), *arguments[1:])

    def matches(self, node: Node, value: str) -> bool:
        current: object = _config(node)
        for part in self.keys:
            current = current.get(part) if isinstance(current, Mapping) else getattr(current, part, None)
        if current is None:
            return False
        if isinstance(current, bool):
            return str(current).lower() == value.lower()
        if isinstance(current, (list, tuple, set, frozenset)):
            return any(str(item) == value for item in current)
        return str(current) == value


class _SourceMethod(_Method):
    def search(self, value: str) -> set[str]:
        if len(value.split(".")) > 3:
            raise _error(f"{self.raw} has too many parts", "write source:<source> or source:<source>.<table>")
        return super().search(value)

    def matches(self, node: Node, value: str) -> bool:
        if not isinstance(node, SourceNode):
            return False
        parts = value.split(".")  # source | source.table | package.source.table
        have = node.fqn if len(parts) == 3 else node.fqn[1 : 1 + len(parts)]
        return all(map(fnmatchcase, have, parts))


class _ResourceTypeMethod(_Method):
    def search(self, value: str) -> set[str]:
        if value not in _RESOURCE_TYPES:
            raise _error(
                f"{self.raw} names unknown resource type '{value}'",
                "use one of: " + ", ".join(_RESOURCE_TYPES),
                closest(value, _RESOURCE_TYPES),
            )
        return super().search(value)

    def matches(self, node: Node, value: str) -> bool:
        return node.resource_type == value


class _FqnMethod(_Method):
    def matches(self, node: Node, value: str) -> bool:
        fqn: tuple[str, ...] = tuple(getattr(node, "fqn", ())) or (node.package, node.name)
        if fnmatchcase(fqn[-1], value):
            return True
        parts = value.split(".")
        return len(parts) <= len(fqn) and all(map(fnmatchcase, fqn, parts))


class _TestTypeMethod(_Method):
    TYPES: ClassVar[tuple[str, ...]] = ("unit", "data", "generic", "singular")

    def search(self, value: str) -> set[str]:
        if value not in self.TYPES:
            raise _error(
                f"{self.raw} names unknown test type '{value}'",
                "use one of: " + ", ".join(self.TYPES),
                closest(value, self.TYPES),
            )
        return super().search(value)

    def matches(self, node: Node, value: str) -> bool:
        if not isinstance(node, TestNode):
            return False
        if value in ("unit", "data"):
            return node.test_type == value
        return node.test_type == "data" and node.kind == value


class _TestNameMethod(_Method):
    def matches(self, node: Node, value: str) -> bool:
        return isinstance(node, TestNode) and (
            fnmatchcase(node.test_name, value) or fnmatchcase(node.name, value)
        )


_METHODS: Mapping[str, type[_Method]] = MappingProxyType(
    {
        "name": _NameMethod,
        "tag": _TagMethod,
        "path": _PathMethod,
        "config": _ConfigMethod,
        "source": _SourceMethod,
        "resource_type": _ResourceTypeMethod,
        "fqn": _FqnMethod,
        "test_type": _TestTypeMethod,
        "test_name": _TestNameMethod,
    }
)


def _depth(text: str | None) -> int | None:
    return int(text) if text else None


def _parse_atom(raw: str, flag: str) -> _Atom:
    """Parse one comma-free criterion; raise :class:`SelectionError` when malformed."""
    example = "e.g. '+stg_orders', 'stg_orders+2', 'tag:daily', 'source:shop+'"
    m = _ATOM.match(raw)
    if m is None:
        raise _error(f"{flag} '{raw}' is not a valid selector", f"write [@][N+]<selector>[+N], {example}")
    if m["at"] and (m["up"] or m["down"]):
        raise _error(f"{flag} '{raw}' combines '@' and '+'", "use either '@name' or '+name+', not both")
    body: str = m["body"]
    method, value = ("path" if "/" in body else "name"), body
    arguments: tuple[str, ...] = ()
    if ":" in body:
        mm = _METHOD.match(body)
        if mm is None:
            raise _error(f"{flag} '{raw}' has a malformed method", f"write <method>:<value>, {example}")
        method, *args = mm["method"].split(".")
        arguments, value = tuple(args), mm["value"]
    if not value or any(not a for a in arguments):
        raise _error(f"{flag} '{raw}' has an empty part", f"give a value after the method, {example}")
    return _Atom(
        raw=raw,
        method=method,
        arguments=arguments,
        value=value,
        parents=bool(m["up"]),
        parents_depth=_depth(m["up_depth"]),
        children=bool(m["down"]),
        children_depth=_depth(m["down_depth"]),
        childrens_parents=bool(m["at"]),
    )


def _method_for(graph: Graph, atom: _Atom, flag: str) -> _Method:
    cls = _METHODS.get(atom.method)
    if cls is None:
        raise _error(
            f"{flag} '{atom.raw}' uses unknown selector method '{atom.method}'",
            "use one of: " + ", ".join(sorted(_METHODS)) + ", or a bare model name",
            closest(atom.method, _METHODS),
        )
    if atom.arguments and not cls.takes_arguments:
        dotted = ".".join((atom.method, *atom.arguments))
        raise _error(
            f"{flag} '{atom.raw}' uses '{dotted}'", f"write {atom.method}:<value> without a '.' suffix"
        )
    return cls(graph, atom.arguments, f"{flag} '{atom.raw}'")


def _resolve_atom(graph: Graph, atom: _Atom, flag: str) -> set[str]:
    """Ids matched by ``atom``, expanded by its graph operators."""
    matched = _method_for(graph, atom, flag).search(atom.value)
    out = set(matched)
    for uid in matched:
        if atom.parents:
            out |= graph.ancestors(uid, atom.parents_depth)
        if atom.children or atom.childrens_parents:
            out |= graph.descendants(uid, atom.children_depth)
    if atom.childrens_parents:
        for uid in list(out):
            out |= graph.ancestors(uid)
    return out


def _criteria(values: Sequence[str] | None) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return [c for v in values or () for c in v.split()]


def _resolve(graph: Graph, criterion: str, flag: str) -> set[str]:
    """Ids matched by one space-free criterion (commas intersect)."""
    parts = criterion.split(",")
    if any(not p for p in parts):
        raise _error(f"{flag} '{criterion}' has an empty part around ','", "write a,b to intersect a and b")
    atoms = [_parse_atom(p, flag) for p in parts]  # parse all first: syntax errors beat no-match
    result = _resolve_atom(graph, atoms[0], flag)
    for atom in atoms[1:]:
        result &= _resolve_atom(graph, atom, flag)
    return result


def select_nodes(
    graph: Graph,
    select: Sequence[str] | None,
    exclude: Sequence[str] | None = None,
    *,
    resource_types: Collection[str] | None = None,
) -> Selection:
    """Resolve ``--select`` / ``--exclude`` expressions to the unique ids of ``graph``'s nodes.

    Args:
        graph: The resolved project graph.
        select: Selection values, each holding space-separated criteria; ``None`` or empty
            selects every node.
        exclude: Values in the same grammar whose nodes are removed from the selection.
        resource_types: Resource types to keep (``{"model", "seed"}``); by default every type
            but ``source``.

    Returns:
        The selected ids and one warning per ``select`` criterion that matched nothing.

    Raises:
        SelectionError: A criterion is malformed or uses an unknown method, config key or
            resource type.

    """
    keep = _SELECTABLE_DEFAULT if resource_types is None else frozenset(resource_types)
    unknown = sorted(keep - set(_RESOURCE_TYPES))
    if unknown:
        raise _error(
            f"unknown resource type '{unknown[0]}'",
            "use one of: " + ", ".join(_RESOURCE_TYPES),
            closest(unknown[0], _RESOURCE_TYPES),
        )
    selected: set[str] = set()
    warnings: list[str] = []
    wanted = _criteria(select)
    if not wanted:
        selected = set(graph.nodes)
    for criterion in wanted:
        found = _resolve(graph, criterion, "--select")
        if not found:
            warnings.append(f"The selection criterion '{criterion}' does not match any enabled nodes")
        selected |= found
    for criterion in _criteria(exclude):
        selected -= _resolve(graph, criterion, "--exclude")
    ids = frozenset(uid for uid in selected if graph.nodes[uid].resource_type in keep)
    return Selection(ids=ids, warnings=tuple(dict.fromkeys(warnings)))
