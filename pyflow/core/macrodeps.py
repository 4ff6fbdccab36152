"""Which macros each node and each macro calls, and each macro's text (dbt's ``depends_on.macros``).

Owns the static reading of Jinja templates for macro calls: ``name(...)`` (a macro of the
calling package, then of the root project), ``package.name(...)``, and
``adapter.dispatch('name', 'namespace')`` (every ``<prefix>__name`` implementation in the root
project and the namespace's package), plus a generic test's ``test_<name>`` macro. Macros are
named by dbt's unique ids, ``macro.<package>.<name>``. ``state:modified.macros`` compares the
``macro_sql`` of every macro a node reaches, directly or through other macros, with the earlier
manifest's. Knows nothing about engines or running.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import jinja2
import jinja2.nodes as jn

from pyflow.core.jinja import JinjaProject
from pyflow.core.jinjaext import DOCS_PREFIX, SNAPSHOT_PREFIX
from pyflow.core.node import ModelNode, Node, TestNode

_BLOCK = re.compile(
    r"\{%-?\s*(macro|test|materialization)\s+([A-Za-z_][A-Za-z0-9_]*).*?\{%-?\s*end\1\s*-?%\}",
    re.DOTALL,
)
"""A top-level ``{% macro name ... %}...{% endmacro %}`` block (dbt's ``macro_sql``)."""


@dataclass(frozen=True)
class MacroInfo:
    """One macro: where it is defined, its text and the macros it calls."""

    unique_id: str
    name: str
    package: str
    path: str
    macro_sql: str
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class MacroIndex:
    """Every macro of a project (by unique id) and the macros each node calls directly."""

    macros: Mapping[str, MacroInfo]
    node_macros: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def reached(self, node_id: str) -> set[str]:
        """The macros ``node_id`` calls directly or through other macros."""
        seen: set[str] = set()
        frontier = list(self.node_macros.get(node_id, ()))
        while frontier:
            uid = frontier.pop()
            if uid in seen:
                continue
            seen.add(uid)
            info = self.macros.get(uid)
            if info is not None:
                frontier.extend(info.calls)
        return seen


def macro_uid(package: str, name: str) -> str:
    """The dbt unique id of a macro: ``macro.<package>.<name>``."""
    return f"macro.{package}.{name}"


class _Resolver:
    """Names in a template -> macro unique ids, as the renderer looks them up."""

    def __init__(self, jinja: JinjaProject, root: str) -> None:
        self.root = root
        self.names: dict[str, dict[str, str]] = {root: {}}
        for name in jinja.macro_paths:
            self.names[root][name] = macro_uid(root, name)
        for package, macros in jinja.package_macros.items():
            self.names.setdefault(package, {}).update({n: macro_uid(package, n) for n in macros})

    def bare(self, name: str, package: str) -> str | None:
        return self.names.get(package, {}).get(name) or self.names[self.root].get(name)

    def qualified(self, package: str, name: str) -> str | None:
        return self.names.get(package, {}).get(name) if package in self.names else None

    def dispatched(self, name: str, namespace: str | None, package: str) -> list[str]:
        packages = {self.root, namespace or package}
        return sorted(
            uid
            for pkg in packages
            for macro, uid in self.names.get(pkg, {}).items()
            if macro.endswith("__" + name)
        )

    def calls(self, tree: jn.Node, package: str) -> tuple[str, ...]:
        out: set[str] = set()
        for call in tree.find_all(jn.Call):
            target = call.node
            if isinstance(target, jn.Name):
                found = self.bare(target.name, package)
                out.update([found] if found else [])
            elif isinstance(target, jn.Getattr) and isinstance(target.node, jn.Name):
                owner = target.node.name
                if owner == "adapter" and target.attr == "dispatch":
                    out.update(self._dispatch(call, package))
                else:
                    found = self.qualified(owner, target.attr)
                    out.update([found] if found else [])
        return tuple(sorted(out))

    def _dispatch(self, call: jn.Call, package: str) -> list[str]:
        args = [*call.args, *(kw.value for kw in call.kwargs)]
        consts = [a.value if isinstance(a, jn.Const) and isinstance(a.value, str) else None for a in args]
        if not consts or consts[0] is None:
            return []
        return self.dispatched(consts[0], consts[1] if len(consts) > 1 else None, package)


def _blocks(text: str) -> dict[str, str]:
    """Macro name (``test_x`` for a test block) -> its text, for one macro file."""
    out: dict[str, str] = {}
    for match in _BLOCK.finditer(text):
        kind, name = match.group(1), match.group(2)
        key = {"test": f"test_{name}", "materialization": f"materialization_{name}"}.get(kind, name)
        out.setdefault(key, match.group(0))
    return out


def macro_index(jinja: JinjaProject, root: str, nodes: Iterable[Node]) -> MacroIndex:
    """Read every macro file and node template of a project for its macro calls."""
    resolver = _Resolver(jinja, root)
    macros: dict[str, MacroInfo] = {}
    owners: list[tuple[str, Mapping[str, str]]] = [(root, jinja.macro_paths)]
    owners += list(jinja.package_macros.items())
    for package, table in owners:
        for path in dict.fromkeys(table.values()):
            text = jinja.sources.get(path, "")
            try:
                tree = jinja.env.parse(text, filename=path)
            except jinja2.TemplateSyntaxError:
                continue  # reported when the project loads
            texts = _blocks(text)
            for macro in tree.find_all(jn.Macro):
                name = macro.name
                if name.startswith((DOCS_PREFIX, SNAPSHOT_PREFIX)) or table.get(name) != path:
                    continue
                uid = macro_uid(package, name)
                macros[uid] = MacroInfo(
                    uid, name, package, path, texts.get(name, ""), resolver.calls(macro, package)
                )
    node_macros: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        found = _node_calls(jinja, resolver, node)
        if found:
            node_macros[node.unique_id] = found
    return MacroIndex(macros, node_macros)


def _node_calls(jinja: JinjaProject, resolver: _Resolver, node: Node) -> tuple[str, ...]:
    out: set[str] = set()
    package = jinja.template_package.get(node.path, node.package)
    code = getattr(node, "raw_code", "")
    if isinstance(node, ModelNode | TestNode) and node.language == "sql" and code:
        try:
            out.update(resolver.calls(jinja.env.parse(code), package))
        except jinja2.TemplateSyntaxError:
            pass  # reported when the project loads
    if isinstance(node, TestNode) and node.kind == "generic" and node.test_type == "data":
        called = jinja.test_macro(node.test_name)
        if called is not None:
            owner, _, name = called.rpartition(".")
            found = resolver.qualified(owner, name) if owner else resolver.bare(name, package)
            out.update([found] if found else [])
    return tuple(sorted(out))
