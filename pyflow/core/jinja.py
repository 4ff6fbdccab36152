"""Jinja for SQL models and macros: one environment per project, dbt's context names.

Jinja templates a SELECT statement only; ``ref``/``source`` calls are found statically (the
template's syntax tree) and by a parse-time render that records them, so the DAG is known
without touching a database. Errors name the template file and line, with a snippet.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import jinja2
import jinja2.nodes as jn

from pyflow.core.jinjaext import (
    DOCS_PREFIX,
    SNAPSHOT_PREFIX,
    DocsExtension,
    Flags,
    MaterializationExtension,
    PackageNamespace,
    SnapshotExtension,
    TestBlockExtension,
    is_mapping,
)
from pyflow.core.nativefilters import TEXT_FILTERS
from pyflow.core.sqlcontext import sql_identifier_filter, sql_literal
from pyflow.core.version import ref_call_key
from pyflow.errors import CompileError, ProjectError, PyflowError, closest

_MACRO_TAG = re.compile(r"\{%-?\s*(macro|test)\s+([A-Za-z_][A-Za-z0-9_]*)")
"""``{% macro name`` / ``{% test name``: how macro names are found in a file that does not parse."""


class MacroReturn(Exception):
    """Raised by ``{{ return(x) }}`` and caught by the macro wrapper."""

    def __init__(self, value: Any) -> None:
        super().__init__("return")
        self.value = value


def _return(value: Any) -> Any:
    raise MacroReturn(value)


def _catch_return(macro: Any) -> Any:
    """Make ``{{ return(x) }}`` end ``macro`` with value ``x``, however it is called.

    The macro itself catches its return (not a wrapper in the context), because a macro calling
    another macro of its own file does not go through the context. Uses ``Macro._func``, which
    Jinja 3 has kept stable; tests/unit/core/test_jinja.py covers it.
    """
    func = macro._func

    def run(*args: Any) -> Any:
        try:
            return func(*args)
        except MacroReturn as ret:
            return ret.value

    macro._func = run
    return macro


class _ParseBuiltins(dict[str, Callable[..., Any]]):
    """While parsing, every dbt cross-database macro exists and renders as nothing."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __missing__(self, key: str) -> Callable[..., Any]:
        return lambda *a, **k: ""


@dataclass
class StaticRefs:
    """``ref``/``source``/``config`` calls found in a template's syntax tree."""

    refs: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, str, int]] = field(default_factory=list)


def snippet(text: str, line: int | None, width: int = 2) -> str:
    """A few numbered lines around ``line`` with a marker."""
    if not line:
        return ""
    rows = text.splitlines()
    lo, hi = max(1, line - width), min(len(rows), line + width)
    out = []
    for n in range(lo, hi + 1):
        mark = ">" if n == line else " "
        out.append(f"{mark} {n:4d} | {rows[n - 1]}")
    return "\n".join(out)


MacroNames = list[tuple[str, int]]
"""The macros a file defines (snapshot, test, materialization and docs blocks too), with lines."""


class MacroNameCache(Protocol):
    """What earlier loads found in macro files, by content: a file read again is not parsed."""

    def get(self, path: str, text: str) -> MacroNames | None:
        """The names stored for ``path`` with this very text, else None."""

    def put(self, path: str, text: str, names: MacroNames) -> None:
        """Store the names parsing ``text`` found."""


class JinjaProject:
    """The macros of a project and the environment that renders SQL models with them.

    ``names``: a cache of the macro names each file defines (parsing every macro file at each
    load costs about a millisecond a file, and a package such as dbt_utils has hundreds); a
    file with a syntax error is parsed every time, so its error is reported every time.
    """

    def __init__(self, macro_files: Mapping[str, str], names: MacroNameCache | None = None) -> None:
        self.sources: dict[str, str] = dict(macro_files)
        self._names = names
        self.env = jinja2.Environment(
            loader=jinja2.FunctionLoader(self._load),
            undefined=jinja2.StrictUndefined,
            extensions=[
                "jinja2.ext.do",
                "jinja2.ext.loopcontrols",
                SnapshotExtension,
                TestBlockExtension,
                MaterializationExtension,
                DocsExtension,
            ],
            cache_size=-1,
            keep_trailing_newline=True,
        )
        self.env.filters.update(sql_literal=sql_literal, sql_identifier=sql_identifier_filter, **TEXT_FILTERS)
        self.env.tests["mapping"] = is_mapping
        self.package_env = self.env.overlay(undefined=jinja2.Undefined)
        """Renders packages' macro files: an undefined name is empty there, as in dbt (whose
        packages rely on it); the root project keeps the strict environment and its errors."""
        self.macro_paths: dict[str, str] = {}
        self.project_name = ""
        """The root project's name (``project_name`` in templates; a package of dispatch)."""
        self.search_orders: dict[str, list[str]] = {}
        """``dispatch:`` of dbt_project.yml: macro namespace -> packages searched, in order."""
        self.packages: dict[str, frozenset[str]] = {}
        """Package name -> its macro names."""
        self.errors: list[PyflowError] = []
        self.unparsed: dict[str, CompileError] = {}
        """Macro name -> the syntax error of its file, which does not parse (so it is not defined)."""
        self.template_package: dict[str, str] = {}
        """Model template -> its package, for the models of packages (their macros come first)."""
        self.package_macros: dict[str, dict[str, str]] = {}
        """Package name -> its macro names -> their files (``dbt_packages/<name>/macros/...``)."""
        self._index(self.sources, self.macro_paths)

    def _index(self, files: Mapping[str, str], into: dict[str, str], *, package: str | None = None) -> None:
        """Record the macros of ``files`` in ``into`` (name -> file); keep syntax and duplicate errors."""
        for path, text in files.items():
            names = None if self._names is None else self._names.get(path, text)
            if names is None:
                try:
                    tree = self.env.parse(text, filename=path)
                except jinja2.TemplateSyntaxError as exc:
                    err = self.syntax_error(exc, path, text)
                    if package is None:  # a package's file is reported only when one of its macros is used
                        self.errors.append(err)
                    prefix = f"{package}." if package else ""
                    for kind, name in _MACRO_TAG.findall(text):
                        self.unparsed.setdefault(prefix + (f"test_{name}" if kind == "test" else name), err)
                    continue
                names = [(node.name, node.lineno) for node in tree.find_all(jn.Macro)]
                if self._names is not None:
                    self._names.put(path, text, names)
            for name, line in names:
                if name in into:
                    self.errors.append(
                        ProjectError(
                            f"macro '{name}' is defined twice: in {into[name]} and {path}",
                            path=path,
                            line=line,
                            hint="rename or delete one of the two macros",
                            code="duplicate-macro",
                        )
                    )
                else:
                    into[name] = path

    def add_package(self, name: str, files: Mapping[str, str]) -> None:
        """Add the macro files of package ``name``: its macros live in the ``name.`` namespace.

        Inside the package's own macros they are also callable without the prefix (dbt's
        "local" macros), before the root project's macros.
        """
        self.sources.update(files)
        macros = self.package_macros.setdefault(name, {})
        self._index(files, macros, package=name)
        self.packages[name] = frozenset(macros)

    def test_macro(self, test: str) -> str | None:
        """The macro implementing generic test ``test`` (``name`` or ``package.name``) as Jinja calls it."""
        package, _, name = test.rpartition(".")
        if not package:
            return f"test_{name}" if f"test_{name}" in self.macro_paths else None
        if f"test_{name}" in self.package_macros.get(package, {}):
            return f"{package}.test_{name}"
        return None

    def macro_files(self) -> list[str]:
        """Every macro file: the root project's and the packages'."""
        files = dict.fromkeys(self.macro_paths.values())
        for macros in self.package_macros.values():
            files.update(dict.fromkeys(macros.values()))
        return list(files)

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]]:
        return self.sources[name], name, lambda: True

    def add_template(self, path: str, text: str, package: str | None = None) -> None:
        """Register a model template under its display path (``package``: the package it belongs to)."""
        self.sources[path] = text
        if package is not None:
            self.template_package[path] = package

    # ---- parse-time analysis -------------------------------------------------------------
    def snapshot_blocks(self, path: str, text: str) -> list[tuple[str, int]]:
        """Names and lines of the ``{% snapshot %}`` blocks in a file."""
        tree = self.env.parse(text, filename=path)
        return [
            (m.name[len(SNAPSHOT_PREFIX) :], m.lineno)
            for m in tree.find_all(jn.Macro)
            if m.name.startswith(SNAPSHOT_PREFIX)
        ]

    def static_refs(self, path: str, text: str, block: str | None = None) -> StaticRefs:
        """Constant ``ref``/``source`` calls in the template (every branch counts)."""
        tree: jn.Node = self.env.parse(text, filename=path)
        if block is not None:
            tree = next(m for m in tree.find_all(jn.Macro) if m.name == SNAPSHOT_PREFIX + block)
        found = StaticRefs()
        for call in tree.find_all(jn.Call):
            if not isinstance(call.node, jn.Name):
                continue
            args = [a.value for a in call.args if isinstance(a, jn.Const)]
            if len(args) != len(call.args):
                continue
            if call.node.name == "ref" and len(args) in (1, 2):
                kwargs = {k.key: k.value.value for k in call.kwargs if isinstance(k.value, jn.Const)}
                if len(kwargs) == len(call.kwargs):  # ref('dim', v=2): a version's key
                    found.refs.append((ref_call_key(args, kwargs), call.lineno))
            elif call.node.name == "source" and len(args) == 2:
                found.sources.append((str(args[0]), str(args[1]), call.lineno))
        return found

    # ---- rendering ---------------------------------------------------------------------
    def render(
        self,
        path: str,
        context: dict[str, Any],
        *,
        model: str | None = None,
        block: str | None = None,
        builtins: Mapping[str, Callable[..., Any]] | None = None,
    ) -> str:
        """Render template ``path`` (or its snapshot ``block``) with ``context`` and the macros.

        ``builtins``: dbt's cross-database macros for the target (the end of the ``dbt``
        namespace); None while parsing, when each renders as nothing.
        """
        ctx = dict(self.env.globals)
        ctx.update(context)
        ctx["return"] = _return
        try:
            local = self._bind_macros(ctx, model, builtins, dbt_names=True)
            ctx = local.get(self.template_package.get(path, ""), ctx)
            template = self.env.get_template(path)
            if block is not None:
                module = template.make_module(vars=ctx, shared=True)
                return str(getattr(module, SNAPSHOT_PREFIX + block)())
            return template.render(ctx)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or path
            raise self.syntax_error(exc, where, self.sources.get(where, ""), model) from None
        except PyflowError as exc:
            if exc.path is None:
                exc.path, exc.line = self._template_frame(exc, path)
            if exc.model is None:
                exc.model = model
            raise
        except MacroReturn as ret:
            return str(ret.value)
        except Exception as exc:
            raise self.runtime_error(exc, path, model) from None

    def _instantiate(self, ctx: dict[str, Any], macros: Mapping[str, str], into: dict[str, Any]) -> None:
        """Make each file of ``macros`` a module over ``ctx``; put its macros in ``into`` by name."""
        env = self.env if macros is self.macro_paths else self.package_env
        for macro_file in dict.fromkeys(macros.values()):
            template = env.get_template(macro_file)
            # what make_module does, keeping the names Jinja does not export (``_private`` macros)
            context = template.new_context(ctx, shared=True)
            for _ in template.root_render_func(context):
                pass
            for name, value in context.vars.items():
                if macros.get(name) == macro_file:
                    into[name] = _catch_return(value)

    def _bind_macros(
        self,
        ctx: dict[str, Any],
        model: str | None,
        builtins: Mapping[str, Callable[..., Any]] | None,
        *,
        dbt_names: bool,
    ) -> dict[str, dict[str, Any]]:
        """Bind the root project's macros by name and each package's under its namespace.

        As in dbt: a root macro is callable everywhere by its bare name; a package's macros
        are ``package.name`` everywhere and bare names inside the package's own macros, where
        they come before the root project's. Returns each package's context (for its models).
        """
        namespaces = {name: PackageNamespace(name, self.unparsed) for name in self.package_macros}
        for name, namespace in namespaces.items():
            ctx.setdefault(name, namespace)
        self._instantiate(ctx, self.macro_paths, ctx)
        if dbt_names:
            self._bind_dbt_names(ctx, model, builtins, {n: ns.macros for n, ns in namespaces.items()})
        contexts: dict[str, dict[str, Any]] = {}
        for name, macros in self.package_macros.items():
            local = contexts[name] = dict(ctx)
            self._instantiate(local, macros, namespaces[name].macros)
            local.update(namespaces[name].macros)
        return contexts

    def _bind_dbt_names(
        self,
        ctx: dict[str, Any],
        model: str | None,
        builtins: Mapping[str, Callable[..., Any]] | None,
        packages: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Add ``adapter.dispatch``, ``dbt``, ``project_name`` and ``doc`` to a render's context."""
        from pyflow.core.dispatch import DbtNamespace, Dispatcher, bind_globals
        from pyflow.core.sqlcontext import AdapterProxy

        target = ctx.get("target")
        dispatcher = Dispatcher(
            ctx,
            adapter_type=str(getattr(target, "type", "duckdb")),
            root=self.project_name,
            search_orders=self.search_orders,
            packages=packages,
            builtins=builtins if builtins is not None else _ParseBuiltins(),
        )
        if isinstance(ctx.get("adapter"), AdapterProxy):
            ctx["adapter"].dispatcher = dispatcher
            ctx.setdefault("load_relation", ctx["adapter"].load_relation)
        ctx.setdefault("dbt", DbtNamespace(dispatcher))
        bind_globals(ctx, dispatcher)
        ctx.setdefault("project_name", self.project_name)
        ctx.setdefault("flags", Flags())
        ctx.setdefault("doc", self._doc_reader(ctx, model))

    def _doc_reader(self, ctx: dict[str, Any], model: str | None) -> Callable[..., str]:
        def doc(*args: str) -> str:
            return self.doc_text(args[-1] if args else "", model=model, context=ctx)

        return doc

    def doc_text(self, name: str, *, model: str | None = None, context: dict[str, Any] | None = None) -> str:
        """The text of docs block ``name`` (``{{ doc('name') }}``); a CompileError naming close ones."""
        path = self.macro_paths.get(DOCS_PREFIX + name)
        if path is None:
            known = [n[len(DOCS_PREFIX) :] for n in self.macro_paths if n.startswith(DOCS_PREFIX)]
            raise CompileError(
                f"doc('{name}') names no docs block",
                model=model,
                suggestions=closest(name, known),
                hint="write {% docs " + name + " %} ... {% enddocs %} in a .md file under models/ or macros/",
                code="unknown-doc",
            )
        module = self.env.get_template(path).make_module(vars=context or {}, shared=True)
        return str(getattr(module, DOCS_PREFIX + name)()).strip()

    def macros(self, context: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
        """The project's macros ``names`` as callables bound to ``context`` (built once, called often).

        Every macro file is instantiated with ``context`` so the macros can call each other; a
        missing name is left out.
        """
        ctx = dict(self.env.globals)
        ctx.update(context)
        ctx["return"] = _return
        self._bind_macros(ctx, None, None, dbt_names=False)
        return {name: ctx[name] for name in names if self.macro_paths.get(name) and name in ctx}

    def _template_frame(self, exc: BaseException, default: str) -> tuple[str, int | None]:
        """The innermost template file and line in ``exc``'s traceback."""
        found: tuple[str, int | None] = (default, None)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename in self.sources:
                found = (frame.filename, frame.lineno)
        return found

    def syntax_error(
        self, exc: jinja2.TemplateSyntaxError, path: str, text: str, model: str | None = None
    ) -> CompileError:
        """A Jinja syntax error with file, line and snippet."""
        return CompileError(
            f"Jinja syntax error: {exc.message}",
            model=model,
            path=path,
            line=exc.lineno,
            detail=snippet(text, exc.lineno),
            hint="check the {% %} / {{ }} tags near that line (an unclosed block or "
            "a missing 'end...' tag is the usual cause)",
            code="jinja-syntax",
        )

    def runtime_error(self, exc: Exception, path: str, model: str | None) -> CompileError:
        """A failure while rendering: undefined name, bad macro call ..."""
        where, line = self._template_frame(exc, path)
        text = self.sources.get(where, "")
        if isinstance(exc, jinja2.UndefinedError):
            name = str(exc).split("'")[1] if str(exc).count("'") >= 2 else str(exc)
            if name in self.unparsed and name not in self.macro_paths:
                broken = self.unparsed[name]
                return CompileError(
                    f"macro '{name}' cannot be used: its file {broken.path} has a Jinja syntax error "
                    f"at line {broken.line}: {broken.message.removeprefix('Jinja syntax error: ')}",
                    model=model,
                    path=broken.path,
                    line=broken.line,
                    detail=broken.detail,
                    hint=broken.hint,
                    code="jinja-syntax",
                )
            candidates: Iterable[str] = [
                *self.macro_paths,
                "ref",
                "source",
                "config",
                "var",
                "env_var",
                "this",
                "target",
                "is_incremental",
                "run_started_at",
                "log",
                "adapter",
                "literal",
                "identifier",
                "execute",
                "run_query",
                "statement",
                "load_result",
                "invocation_id",
                "exceptions",
                "dbt",
                "doc",
                "graph",
                "project_name",
            ]
            return CompileError(
                f"'{name}' is undefined (no macro, variable or context name of that name)",
                model=model,
                path=where,
                line=line,
                detail=snippet(text, line),
                suggestions=[] if "." in name else closest(name, candidates),
                hint="define the macro in macros/*.sql, or correct the name",
                code="undefined-macro",
            )
        return CompileError(
            f"error while rendering: {type(exc).__name__}: {exc}",
            model=model,
            path=where,
            line=line,
            detail=snippet(text, line),
            hint="fix the expression at that line",
            code="jinja-render",
        )
