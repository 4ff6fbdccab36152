"""Jinja tags and names pyflow adds to plain Jinja for dbt's templates.

The ``{% snapshot %}``, ``{% docs %}`` and ``{% test %}`` blocks, a package's namespace
(``dbt_utils.star``), ``flags``, and ``is mapping`` that is true for relations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2.nodes as jn
from jinja2.ext import Extension

from pyflow.errors import CompileError, closest

SNAPSHOT_PREFIX = "pyflow_snapshot__"
DOCS_PREFIX = "pyflow_docs__"


class SnapshotExtension(Extension):
    """``{% snapshot name %} select ... {% endsnapshot %}``: a named block rendered on its own.

    The block becomes a macro ``pyflow_snapshot__<name>`` of the file's template, so a
    file may hold several snapshots and each renders (and reports errors) independently.
    """

    tags = {"snapshot"}

    def parse(self, parser: Any) -> jn.Node:  # noqa: D102
        lineno = next(parser.stream).lineno
        name = parser.parse_assign_target(name_only=True).name
        body = parser.parse_statements(("name:endsnapshot",), drop_needle=True)
        return jn.Macro(SNAPSHOT_PREFIX + name, [], [], body).set_lineno(lineno)


class DocsExtension(Extension):
    """``{% docs name %} text {% enddocs %}``: a docs block, read by ``{{ doc('name') }}``."""

    tags = {"docs"}

    def parse(self, parser: Any) -> jn.Node:  # noqa: D102
        lineno = next(parser.stream).lineno
        name = parser.parse_assign_target(name_only=True).name
        body = parser.parse_statements(("name:enddocs",), drop_needle=True)
        return jn.Macro(DOCS_PREFIX + name, [], [], body).set_lineno(lineno)


class TestBlockExtension(Extension):
    """``{% test name(model, column_name) %} select ... {% endtest %}``: a custom generic test.

    It becomes the macro ``test_<name>`` (dbt's convention), rendered with ``model`` bound to
    the tested relation; it returns the failing rows.
    """

    tags = {"test"}

    def parse(self, parser: Any) -> jn.Node:  # noqa: D102
        lineno = next(parser.stream).lineno
        node = jn.Macro(lineno=lineno)
        node.name = "test_" + parser.parse_assign_target(name_only=True).name
        parser.parse_signature(node)
        node.body = parser.parse_statements(("name:endtest",), drop_needle=True)
        return node


def is_mapping(value: Any) -> bool:
    """Jinja's ``is mapping``, true also for a relation (``ref()``), which dbt's relations are."""
    from pyflow.core.renderdb import RelationText

    return isinstance(value, Mapping | RelationText)


class Flags:
    """dbt's ``flags`` in Jinja: the invocation's (``WHICH``, ``FULL_REFRESH``); any other is None.

    ``read`` turns true once a template reads a flag: such a render depends on the invocation
    and is not reused from the compile cache.
    """

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = dict(values or {})
        self.read = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self.read = True
        return self._values.get(name)


class MaterializationExtension(Extension):
    """``{% materialization name, adapter='x' %} ... {% endmaterialization %}``: read and left out.

    pyflow builds with its own materializers; a package that defines a materialization still
    loads its other macros.
    """

    tags = {"materialization"}

    def parse(self, parser: Any) -> jn.Node:  # noqa: D102
        lineno = next(parser.stream).lineno
        while parser.stream.current.type != "block_end":
            next(parser.stream)
        parser.parse_statements(("name:endmaterialization",), drop_needle=True)
        return jn.Output([], lineno=lineno)


class PackageNamespace:
    """A package's name in Jinja: ``{{ dbt_utils.star(...) }}`` calls the package's macro ``star``."""

    def __init__(self, package: str, unparsed: Mapping[str, CompileError]) -> None:
        self.package = package
        self.macros: dict[str, Any] = {}
        self._unparsed = unparsed

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.macros[name]
        except KeyError:
            broken = self._unparsed.get(f"{self.package}.{name}")
            if broken is not None:
                raise CompileError(
                    f"macro '{self.package}.{name}' cannot be used: its file {broken.path} has a Jinja "
                    f"syntax error at line {broken.line}: {broken.message.removeprefix('Jinja syntax error: ')}",
                    path=broken.path,
                    line=broken.line,
                    detail=broken.detail,
                    hint=f"reinstall {self.package} (pyflow deps), or fix that file",
                    code="jinja-syntax",
                ) from None
            raise CompileError(
                f"package '{self.package}' has no macro '{name}'",
                suggestions=closest(name, [m for m in self.macros if not m.startswith("test_")]),
                hint=f"check the name, or the version of {self.package} installed in dbt_packages/",
                code="undefined-macro",
            ) from None
