"""Node selection: dbt's ``--select`` / ``--exclude`` grammar and YAML selectors over a :class:`Graph`.

Owns parsing selection expressions, graph operators, set operations and indirect selection of
tests, resolving them to unique ids; the methods themselves (``tag:``, ``path:`` ...) live in
:mod:`pyflow.core.selectmethods`. Knows nothing about engines or running. The grammar, per
``--select`` / ``--exclude`` value::

    value      := criterion (" " criterion)*          space: union
    criterion  := atom ("," atom)*                    comma: intersection
    atom       := ["@"] [[N] "+"] [method ":"] pattern ["+" [N]]

* Graph operators: ``+x`` adds all ancestors of ``x``, ``x+`` all descendants, ``2+x`` / ``x+3``
  limit the depth, ``+x+`` does both, ``@x`` adds ``x``'s descendants and every ancestor of those
  (``@`` cannot be combined with ``+``). Walks are iterative (no recursion on deep chains).
* A bare pattern matches node names (shell wildcards: ``stg_*``), as in dbt a pattern
  containing ``/`` is a path, one ending in ``.sql``/``.py``/``.csv``/``.yml`` a file name and
  one containing ``.`` a fully qualified name (what ``ls --output selector`` prints). Methods: see :data:`pyflow.core.selectmethods.METHODS`.
* Indirect selection (dbt's ``--indirect-selection``): a test not selected itself is added when
  ``eager`` any, ``cautious`` all, ``buildable`` all of its parents are selected or ancestors of
  selected nodes; ``empty`` adds none. An excluded node's tests are excluded the same way.

Several values union; ``exclude`` is removed afterwards; no ``select`` means every node. The
result keeps only ``resource_types`` (every type but ``source`` by default). A select criterion
that matches nothing yields a warning, as in dbt; an unknown method or a malformed criterion
is a :class:`~pyflow.errors.SelectionError` with a fix.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from pyflow.core.graph import Graph
from pyflow.core.node import ResourceType, SourceNode, TestNode
from pyflow.core.selectmethods import method_for, selection_error
from pyflow.core.state import State
from pyflow.errors import closest

if TYPE_CHECKING:
    from pyflow.core.macrodeps import MacroIndex

_ATOM = re.compile(
    r"^(?P<at>@)?(?:(?P<up_depth>\d*)(?P<up>\+))?(?P<body>[^@+]+)(?:(?P<down>\+)(?P<down_depth>\d*))?$"
)
_METHOD = re.compile(r"^(?P<method>[A-Za-z_][\w.]*):(?P<value>.*)$")
_NODE_TYPES: tuple[str, ...] = get_args(ResourceType)
_SELECTABLE_DEFAULT = frozenset(t for t in _NODE_TYPES if t != "source")

IndirectSelection = Literal["eager", "cautious", "buildable", "empty"]
INDIRECT_MODES: tuple[str, ...] = get_args(IndirectSelection)


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
class SelectorText:
    """Criteria written as on the command line (space: union, comma: intersection)."""

    text: str
    label: str = "--select"
    """How errors quote it: ``--select``, ``selector 'nightly' (selectors.yml:4)``."""


@dataclass(frozen=True)
class SelectorMethod:
    """One ``method``/``value`` criterion of a YAML selector, with its graph operators."""

    method: str
    value: str
    label: str
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None
    childrens_parents: bool = False
    indirect_selection: IndirectSelection | None = None


@dataclass(frozen=True)
class SelectorSet:
    """``union`` or ``intersection`` of specs, minus the union of ``exclude``."""

    op: Literal["union", "intersection"]
    items: tuple[SelectorSpec, ...]
    exclude: tuple[SelectorSpec, ...] = ()


SelectorSpec = SelectorText | SelectorMethod | SelectorSet


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
    indirect: IndirectSelection | None = None


@dataclass
class _Picked:
    """Nodes a spec selects directly, and tests it could add (``indirect``) when combined."""

    direct: set[str]
    indirect: set[str] = field(default_factory=set)


def _depth(text: str | None) -> int | None:
    return int(text) if text else None


def _parse_atom(raw: str, flag: str) -> _Atom:
    """Parse one comma-free criterion; raise :class:`SelectionError` when malformed."""
    example = "e.g. '+stg_orders', 'stg_orders+2', 'tag:daily', 'source:shop+'"
    m = _ATOM.match(raw)
    if m is None:
        raise selection_error(
            f"{flag} '{raw}' is not a valid selector", f"write [@][N+]<selector>[+N], {example}"
        )
    if m["at"] and (m["up"] or m["down"]):
        raise selection_error(
            f"{flag} '{raw}' combines '@' and '+'", "use either '@name' or '+name+', not both"
        )
    method, arguments, value = _split_body(m["body"], raw, flag, example)
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


_FILE_SUFFIXES = (".sql", ".py", ".csv", ".yml", ".yaml")


def _bare_method(body: str) -> str:
    """The default method (as in dbt) of a criterion without ``method:``: path, file, fqn, else name."""
    if "/" in body or "\\" in body:
        return "path"
    if body.lower().endswith(_FILE_SUFFIXES):
        return "file"
    return "fqn" if "." in body else "name"


def _split_body(body: str, raw: str, flag: str, example: str) -> tuple[str, tuple[str, ...], str]:
    """``config.meta.owner:ana`` -> ``("config", ("meta", "owner"), "ana")``."""
    method, value = _bare_method(body), body
    arguments: tuple[str, ...] = ()
    if ":" in body:
        mm = _METHOD.match(body)
        if mm is None:
            raise selection_error(
                f"{flag} '{raw}' has a malformed method", f"write <method>:<value>, {example}"
            )
        method, *args = mm["method"].split(".")
        arguments, value = tuple(args), mm["value"]
    if not value or any(not a for a in arguments):
        raise selection_error(
            f"{flag} '{raw}' has an empty part", f"give a value after the method, {example}"
        )
    return method, arguments, value


def _yaml_atom(spec: SelectorMethod) -> _Atom:
    method, *args = spec.method.split(".")
    if not method or not spec.value or any(not a for a in args):
        raise selection_error(
            f"{spec.label} has an empty method or value", "give both, e.g. method: tag, value: nightly"
        )
    return _Atom(
        raw=f"{spec.method}:{spec.value}",
        method=method,
        arguments=tuple(args),
        value=spec.value,
        parents=spec.parents or spec.parents_depth is not None,
        parents_depth=spec.parents_depth,
        children=spec.children or spec.children_depth is not None,
        children_depth=spec.children_depth,
        childrens_parents=spec.childrens_parents,
        indirect=spec.indirect_selection,
    )


def walk(edges: Mapping[str, Sequence[str]], start: Iterable[str], depth: int | None = None) -> set[str]:
    """Every node reachable from ``start`` along ``edges`` within ``depth`` steps.

    ``start`` itself is left out unless reached again. Breadth first and iterative, so
    5,000-deep chains are fine.
    """
    seen: set[str] = set()
    frontier = list(dict.fromkeys(start))
    level = 0
    while frontier and (depth is None or level < depth):
        nxt = []
        for n in frontier:
            for m in edges.get(n, ()):
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        frontier = nxt
        level += 1
    return seen


class _Evaluator:
    """Evaluates specs over one graph with one default indirect-selection mode."""

    def __init__(
        self,
        graph: Graph,
        indirect: IndirectSelection | None,
        state: State | None,
        macros: MacroIndex | None = None,
    ) -> None:
        self.graph = graph
        self.indirect = indirect
        self.state = state
        self.macros = macros

    def spec(self, spec: SelectorSpec) -> _Picked:
        if isinstance(spec, SelectorText):
            parts = [self.criterion(c, spec.label) for c in spec.text.split()]
            return self.combine("union", parts) if parts else _Picked(set())
        if isinstance(spec, SelectorMethod):
            return self.atom(_yaml_atom(spec), spec.label)
        picked = self.combine(spec.op, [self.spec(s) for s in spec.items])
        if spec.exclude:
            return self.difference(picked, self.combine("union", [self.spec(s) for s in spec.exclude]))
        return picked

    def criterion(self, text: str, flag: str) -> _Picked:
        """One space-free criterion (commas intersect)."""
        parts = text.split(",")
        if any(not p for p in parts):
            raise selection_error(
                f"{flag} '{text}' has an empty part around ','", "write a,b to intersect a and b"
            )
        atoms = [_parse_atom(p, flag) for p in parts]  # parse all first: syntax errors beat no-match
        return self.combine("intersection", [self.atom(a, flag) for a in atoms])

    def atom(self, atom: _Atom, flag: str) -> _Picked:
        """Ids matched by ``atom``, expanded by its graph operators, plus its tests."""
        graph = self.graph
        raw = f"{flag} '{atom.raw}'"
        matched = method_for(graph, atom.method, atom.arguments, raw, self.state, self.macros).search(
            atom.value
        )
        out = set(matched)
        if atom.parents:
            out |= walk(graph.parents, matched, atom.parents_depth)
        if atom.children or atom.childrens_parents:
            out |= walk(graph.children, matched, atom.children_depth)
        if atom.childrens_parents:
            out |= walk(graph.parents, out)
        return self.expand(out, atom.indirect or self.indirect)

    def expand(self, selected: set[str], mode: IndirectSelection | None) -> _Picked:
        """Like dbt's ``expand_selection``: tests below ``selected``, direct or pending by ``mode``."""
        picked = _Picked(set(selected))
        if mode is None or mode == "empty":
            return picked
        buildable = self._with_ancestors(selected) if mode == "buildable" else set()
        for uid in walk(self.graph.children, selected, 1):
            if uid in selected or not isinstance(self.graph.nodes[uid], TestNode):
                continue
            parents = set(self.graph.parents.get(uid, ()))
            if mode == "eager" or parents <= selected or (mode == "buildable" and parents <= buildable):
                picked.direct.add(uid)
            else:
                picked.indirect.add(uid)
        return picked

    def _with_ancestors(self, ids: set[str]) -> set[str]:
        sources = {u for u, n in self.graph.nodes.items() if isinstance(n, SourceNode)}
        return ids | walk(self.graph.parents, ids) | sources

    def combine(self, op: Literal["union", "intersection"], parts: Sequence[_Picked]) -> _Picked:
        if not parts:
            return _Picked(set())
        direct, every = set(parts[0].direct), parts[0].direct | parts[0].indirect
        for p in parts[1:]:
            if op == "union":
                direct |= p.direct
                every |= p.direct | p.indirect
            else:
                direct &= p.direct
                every &= p.direct | p.indirect
        return self.incorporate(direct, every)

    def difference(self, kept: _Picked, removed: _Picked) -> _Picked:
        every = (kept.direct | kept.indirect) - (removed.direct | removed.indirect)
        return self.incorporate(kept.direct - removed.direct, every)

    def incorporate(self, direct: set[str], every: set[str]) -> _Picked:
        """Like dbt's ``incorporate_indirect_nodes``: pending tests whose parents are now all selected."""
        pending = every - direct
        if self.indirect in ("cautious", "buildable") and pending:
            allowed = direct if self.indirect == "cautious" else self._with_ancestors(direct)
            direct = direct | {u for u in pending if set(self.graph.parents.get(u, ())) <= allowed}
        return _Picked(direct, every - direct)


def criterion_atoms(values: Sequence[str]) -> list[_Atom]:
    """Every atom of ``values`` (spaces and commas split), parsed; for planning what to load.

    Raises:
        SelectionError: A criterion is malformed.

    """
    return [_parse_atom(p, "--select") for c in _criteria(values) for p in c.split(",") if p]


def _criteria(values: Sequence[str] | None) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return [c for v in values or () for c in v.split()]


def _check_types(keep: Collection[str]) -> None:
    unknown = sorted(set(keep) - set(_NODE_TYPES))
    if unknown:
        raise selection_error(
            f"unknown resource type '{unknown[0]}'",
            "use one of: " + ", ".join(_NODE_TYPES),
            closest(unknown[0], _NODE_TYPES),
        )


def select_nodes(
    graph: Graph,
    select: Sequence[str] | None,
    exclude: Sequence[str] | None = None,
    *,
    resource_types: Collection[str] | None = None,
    indirect_selection: IndirectSelection | None = None,
    selector: SelectorSpec | None = None,
    selector_name: str = "",
    state: State | None = None,
    macros: MacroIndex | None = None,
) -> Selection:
    """Resolve ``--select`` / ``--exclude`` expressions (or a YAML selector) to unique ids.

    Args:
        graph: The resolved project graph.
        select: Selection values, each holding space-separated criteria; ``None`` or empty
            selects every node.
        exclude: Values in the same grammar whose nodes are removed from the selection.
        resource_types: Resource types to keep (``{"model", "seed"}``); by default every type
            but ``source``.
        indirect_selection: How tests of selected nodes join (see the module docstring);
            ``None``: only tests selected themselves.
        selector: A YAML selector's definition, used instead of ``select``/``exclude``.
        selector_name: Its name, for the warning when it matches nothing.
        state: The earlier manifest of ``--state``, for the ``state:`` method.
        macros: The project's macro calls, for ``state:modified.macros`` (None: not compared).

    Returns:
        The selected ids and one warning per ``select`` criterion that matched nothing.

    Raises:
        SelectionError: A criterion is malformed or uses an unknown method, config key or
            resource type.

    """
    keep = _SELECTABLE_DEFAULT if resource_types is None else frozenset(resource_types)
    _check_types(keep)
    evaluate = _Evaluator(graph, indirect_selection, state, macros)
    warnings: list[str] = []
    if selector is not None:
        picked = evaluate.spec(selector)
        if not picked.direct:
            warnings.append(f"The selector '{selector_name}' does not match any enabled nodes")
    else:
        wanted = _criteria(select)
        parts = []
        for criterion in wanted:
            part = evaluate.criterion(criterion, "--select")
            if not part.direct:
                warnings.append(f"The selection criterion '{criterion}' does not match any enabled nodes")
            parts.append(part)
        picked = evaluate.combine("union", parts) if wanted else _Picked(set(graph.nodes))
        unwanted = [evaluate.criterion(c, "--exclude") for c in _criteria(exclude)]
        if unwanted:
            picked = evaluate.difference(picked, evaluate.combine("union", unwanted))
    ids = frozenset(uid for uid in picked.direct if graph.nodes[uid].resource_type in keep)
    return Selection(ids=ids, warnings=tuple(dict.fromkeys(warnings)))
