"""What a Python model's output depends on besides its function: its module and project helpers.

A model's checksum (``state:modified``, the manifest) and its compile key must change whenever
its compiled SQL may change. The function's own source is not enough: a module-level constant it
reads (``STATUS_MAP = {...}``), a helper function beside it, an import, or a helper module of
the project (``from shop_lib.cleaning import normalize``) change its output too. So a Python
model's checksum covers:

- its function's source;
- its module's *context*: the module's text without the ``@model``/``@snapshot`` functions it
  defines at top level (editing one model of a file leaves its siblings unmodified; anything
  else in the file counts for all of them);
- the content of every project file its module imports, transitively (``import x``,
  ``from x import y``, relative imports; at any depth of the module, since an import inside a
  function runs too). A name resolves to a file under the project folder the way the import
  would find it there (``x.py``, ``x/__init__.py`` and the packages above it); names found
  nowhere there (Ibis, pandas, the standard library) count for nothing.

Module contexts and direct imports are read from the syntax tree when the module is loaded and
kept in the parse cache with its functions; the helper files are read again at each load (once
per file per load), so an edited helper changes the checksum even when no model file changed.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from pyflow.core.spec import STATEMENT_LISTS


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def module_context(tree: ast.Module | None, text: str, models: Collection[str]) -> str:
    """The hash of ``text`` without its top-level model functions and without blank lines.

    ``models``: the names of the functions left out (their decorators too). The whole text's
    hash when it does not parse.
    """
    if tree is None:
        return _sha(text)
    # lines as the parser numbers them: "\n", "\r\n" and "\r" end a line, nothing else does
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in models:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            for i in range(first - 1, min(node.end_lineno or node.lineno, len(lines))):
                lines[i] = ""
    # blank lines dropped: adding or moving a model (and the blank lines around it) is no change
    return _sha("\n".join(line for line in lines if line.strip()))


def module_imports(tree: ast.Module | None) -> list[list[str | int]]:
    """``[name, level]`` of every module an import statement of ``tree`` may load, in order.

    ``from a.b import c`` may load ``a.b`` and, when ``c`` is a submodule, ``a.b.c``: both are
    listed (a name that is no file of the project counts for nothing).
    """
    if tree is None:
        return []
    found: dict[tuple[str, int], None] = {}
    todo: list[ast.AST] = list(reversed(tree.body))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[(alias.name, 0)] = None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            found[(base, node.level)] = None
            for alias in node.names:
                if alias.name != "*":
                    found[(f"{base}.{alias.name}" if base else alias.name, node.level)] = None
        for name in STATEMENT_LISTS:
            todo.extend(reversed(getattr(node, name, ())))
    return [[name, level] for name, level in found]


def add_dependencies(
    entries: list[dict[str, Any]],
    tree: ast.Module | None,
    text: str,
    functions: Collection[str],
    imports: list[list[str | int]] | None = None,
) -> None:
    """Record in each parse-cache entry of a module its ``context`` and direct ``imports``.

    ``functions``: the names the module's model functions are defined under (their ``def``);
    ``imports``: :func:`module_imports` of ``tree``, when known already.
    """
    if not entries:
        return
    context = module_context(tree, text, functions)
    imports = module_imports(tree) if imports is None else imports
    for entry in entries:
        entry["context"], entry["imports"] = context, imports


def parse(text: str) -> ast.Module | None:
    """The module's syntax tree, or None when it does not parse."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


class ProjectImports:
    """The project files a model module imports, transitively, and the hash of their contents.

    One per project load: each helper file is read and parsed once, each name resolved once.
    """

    def __init__(self, root: Path) -> None:
        self.root = os.path.normpath(root)
        self._resolved: dict[tuple[str, str, int], tuple[str, ...]] = {}
        self._files: dict[str, tuple[str, list[list[str | int]]] | None] = {}
        self._digests: dict[tuple[str, tuple[tuple[str, int], ...]], str] = {}

    def digest(self, importer: Path | str, imports: Sequence[Sequence[str | int]]) -> str:
        """The hash of the project files reached from ``importer``'s ``imports`` ("" when none)."""
        key = self._key(importer, imports)
        known = self._digests.get(key)
        if known is None:
            reached = self.closure(importer, imports)
            known = self._digests[key] = (
                _sha("\n".join(f"{os.path.relpath(p, self.root)}\0{reached[p]}" for p in sorted(reached)))
                if reached
                else ""
            )
        return known

    def closure(self, importer: Path | str, imports: Sequence[Sequence[str | int]]) -> dict[str, str]:
        """The project files reached from ``importer``'s ``imports``, each with its content hash."""
        folder, names = self._key(importer, imports)
        reached: dict[str, str] = {}
        todo = [path for name, level in names for path in self._resolve(folder, name, level)]
        while todo:
            path = todo.pop()
            if path in reached or path == os.path.normpath(importer):
                continue
            read = self._read(path)
            if read is None:
                continue
            reached[path], below = read
            sub = os.path.dirname(path)
            todo.extend(p for name, level in below for p in self._resolve(sub, str(name), int(level)))
        return reached

    def before_import(self, importer: Path | str, imports: Sequence[Sequence[str | int]]) -> dict[str, str]:
        """Forget the project's helper modules when one ``importer`` reaches was edited since imported.

        This matters to a second load in one process (a notebook, the test suite). Python keeps
        an imported module in ``sys.modules`` for good, so importing the model module again would
        reuse the old helper (and every helper holding names of it): they are all dropped, and
        imported again from their files. Returns the files the module reaches.
        """
        reached = self.closure(importer, imports)
        if not any(_stale(self._module(path), path, sha) for path, sha in reached.items()):
            return reached
        for name, module in list(sys.modules.items()):
            if hasattr(module, _SHA_ATTR):
                del sys.modules[name]
        return reached

    def after_import(self, reached: dict[str, str]) -> None:
        """Mark the helper modules a model module imported with their content hash as imported."""
        for path, sha in reached.items():
            module = self._module(path)
            if module is not None and _file(module) == path and not hasattr(module, _SHA_ATTR):
                setattr(module, _SHA_ATTR, sha)

    def _module(self, path: str) -> ModuleType | None:
        """The module imported under the name of project file ``path`` (its place in the project)."""
        parts = os.path.splitext(os.path.relpath(path, self.root))[0].split(os.sep)
        return sys.modules.get(".".join(parts[:-1] if parts[-1] == "__init__" else parts))

    @staticmethod
    def _key(
        importer: Path | str, imports: Sequence[Sequence[str | int]]
    ) -> tuple[str, tuple[tuple[str, int], ...]]:
        folder = os.path.dirname(os.path.normpath(importer))
        return folder, tuple((str(name), int(level)) for name, level in imports)

    def _resolve(self, folder: str, name: str, level: int) -> tuple[str, ...]:
        """The files importing ``name`` (from a module in ``folder``) runs, under the project."""
        cache_key = (folder if level else "", name, level)
        known = self._resolved.get(cache_key)
        if known is not None:
            return known
        if level:
            base = folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
        else:
            base = self.root
        parts = [p for p in name.split(".") if p]
        found: list[str] = []
        for i in range(1, len(parts) + 1):
            package = os.path.join(base, *parts[:i])
            if i < len(parts) or os.path.isdir(package):
                init = os.path.join(package, "__init__.py")
                if os.path.isfile(init):
                    found.append(init)
            if i == len(parts) and os.path.isfile(package + ".py"):
                found.append(package + ".py")
        if level and not parts and os.path.isfile(os.path.join(base, "__init__.py")):
            found.append(os.path.join(base, "__init__.py"))
        inside = tuple(p for p in found if _under(p, self.root))
        self._resolved[cache_key] = inside
        return inside

    def _read(self, path: str) -> tuple[str, list[list[str | int]]] | None:
        if path not in self._files:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                self._files[path] = None
            else:
                self._files[path] = (_sha(text), module_imports(parse(text)))
        return self._files[path]


_SHA_ATTR = "__pyflow_sha__"
"""Set on a project helper module imported through a model: its file's content hash then."""


def _file(module: ModuleType) -> str | None:
    file = getattr(module, "__file__", None)
    return os.path.normpath(file) if isinstance(file, str) else None


def _stale(module: ModuleType | None, path: str, sha: str) -> bool:
    """True when importing ``path`` would reuse a helper module of another content or file.

    Only modules pyflow marked count: another module of that name (the standard library's, a
    library's) is what Python's own search finds first anyway.
    """
    if module is None or not hasattr(module, _SHA_ATTR):
        return False
    return _file(module) != path or getattr(module, _SHA_ATTR) != sha


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
