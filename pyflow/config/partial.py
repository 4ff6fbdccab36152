"""Loading only what a selection needs: plan the files from the index, verify after loading.

:func:`plan` reads the definition index (:mod:`pyflow.config.index`) of every model, snapshot
and singular-test file and evaluates ``--select``/``--exclude`` on it. The files to load are
those of every node an atom of the selection (or exclusion) reaches through its graph
operators, the singular tests reading them, and every ancestor of all of these. That set is
closed under parents, so each criterion selects, on the partial project, exactly the nodes it
selects on the whole project, and the selector itself then runs unchanged.

The plan is ``None`` (load everything) whenever the index cannot be sure: a criterion other
than an exact name (globs, ``tag:``, ``config.``, ``state:`` ...), a file the scan cannot read
for certain, macros that call ``ref``/``source``, installed packages, a name defined twice,
a dependency or properties entry that names nothing, a name that looks like a build's temporary
table (``x__pyflow_old_...``: recovery of interrupted builds must see every relation named so).
After the partial load,
:meth:`Plan.verified` checks what was really found against the index (names, every ``ref`` of
each loaded node, the parents of every test of a planned node); any difference, or any
definition error, means the caller loads the whole project instead.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pyflow.config.customtest import uses_test_decorator
from pyflow.config.files import project_entries, project_files
from pyflow.config.index import (
    INDEX_FILE,
    FileIndex,
    IndexCache,
    cached_parse,
    content_sha,
    from_parse_cache,
)
from pyflow.config.loadstate import LoadState
from pyflow.config.pyscan import scan_python
from pyflow.config.sqlscan import scan_sql
from pyflow.core.jinja import JinjaProject
from pyflow.core.selector import criterion_atoms, walk
from pyflow.errors import PyflowError

log = logging.getLogger(__name__)
_CALLS_REF = re.compile(r"\b(ref|source)\s*\(")
_GLOB = re.compile(r"[*?\[]")
_REF_ARG = re.compile(r"""\bref\(\s*\\?['"]([^'"\\]+)\\?['"]\s*\)""")


@dataclass(frozen=True)
class Request:
    """What the command will select: ``--select`` and ``--exclude`` values."""

    select: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    imports: bool = True
    """False when the command only lists nodes: Python model files whose syntax tree tells what
    importing them would define are not imported (:mod:`pyflow.config.pystatic`)."""


class _Criteria(Protocol):
    select: Sequence[str]
    exclude: Sequence[str]
    selector: str | None
    state: Path | None
    only: frozenset[str] | None
    lists_only: bool


def request_for(options: _Criteria) -> Request | None:
    """What a load may be limited to: ``--select``/``--exclude`` alone; None (load all) otherwise.

    A named selector, ``--state`` (``state:``, ``--defer``) or a retry's own nodes load everything.
    """
    if options.selector is not None or options.state is not None or options.only is not None:
        return None
    if not options.select:
        return None
    return Request(tuple(options.select), tuple(options.exclude), imports=not options.lists_only)


@dataclass
class Plan:
    """The files a partial load reads, and what it must find in them."""

    files: set[str]
    """Project-relative paths of the model, snapshot and singular-test files to load."""
    loaded: set[str]
    """Node names the partial project holds (closed under parents)."""
    reached: set[str]
    """Names the criteria reach: every test of these must be loaded."""
    expected: set[str]
    """Model and snapshot names the loaded files define, per the index."""
    known: set[str] = field(default_factory=set)
    """Every name the index knows (models, snapshots, seeds, singular tests)."""
    tables: set[str] = field(default_factory=set)
    """Parameter names that read source tables."""
    paths: list[Path] = field(default_factory=list)
    """The files to load."""

    def files_under(self, root: Path, folders: Sequence[str], suffix: str) -> list[Path]:
        """The planned files with ``suffix`` under ``folders``, in the order a full load reads them."""
        bases = tuple(os.path.join(root / f, "") for f in folders)  # as the index listed them
        return [p for p in self.paths if str(p).startswith(bases) and p.suffix == suffix]

    def verified(self, state: LoadState) -> bool:
        """True when the partial load matches the index; drops tests of nodes not loaded."""
        if state.errors:
            return False
        found = {*state.models, *state.snapshots}
        found |= {n for n, node in state.disabled.items() if node.resource_type != "seed"}
        if found != self.expected:
            log.debug("partial load: names differ from the index: %s", sorted(found ^ self.expected))
            return False
        have = {*self.loaded, *state.seeds}
        for node in [*state.models.values(), *state.snapshots.values()]:
            missing = [r.name for r in node.refs if self._reads_node(r.kind, r.name) and r.name not in have]
            if missing:
                log.debug("partial load: %s reads %s, not in the index", node.name, missing)
                return False
        for name, test in list(state.tests.items()):
            parents = {r.name for r in test.refs if self._reads_node(r.kind, r.name)}
            if parents <= have:
                continue
            if parents & self.reached or parents - self.known - set(state.seeds):
                return False  # a test of a planned node needs more, or names nothing known
            del state.tests[name]  # a test of an unplanned node only: not selectable
        return True

    def _reads_node(self, kind: str, name: str) -> bool:
        """A dependency on a model, seed or snapshot (not a source)."""
        return kind == "ref" or (kind == "param" and (name in self.known or name not in self.tables))


def plan(state: LoadState, jinja: JinjaProject, request: Request | None) -> Plan | None:
    """The files ``request`` needs, or None when everything must be loaded."""
    if request is None or not request.select or state.packages or state.yaml_snapshots:
        return None
    try:
        atoms = criterion_atoms([*request.select, *request.exclude])
    except PyflowError:
        return None  # the full load reports it, where selection errors are reported
    if any(a.method != "name" or _GLOB.search(a.value) for a in atoms):
        return None
    indexed = _index(state, jinja)
    if indexed is None:
        return None
    files, paths = indexed
    seeds = {p.stem for p in project_files(state.root, state.config.seed_paths, (".csv",))}
    owner: dict[str, tuple[str, str]] = {}  # node name -> (file, kind)
    parents: dict[str, Sequence[str]] = {}
    for display, kind, entries in files:
        for name, refs, _uses_source in entries:
            if name in owner or name in seeds:
                return None  # a duplicate: the full load reports it
            owner[name] = (display, kind)
            parents[name] = refs
    known = owner.keys() | seeds
    if any("__pyflow_" in name for name in known):
        return None  # it looks like a build's temporary: recovery must know every such relation
    tables = source_params(state)
    sources_only = tables - known  # parameter names reading a source table, not a node
    for name, refs in parents.items():
        for r in refs:
            if r not in known:
                if r not in sources_only:
                    return None
                parents[name] = [r for r in refs if r not in sources_only]
                break
    if any(name not in owner for name in state.model_props):
        return None
    children: dict[str, list[str]] = {}
    for name, refs in parents.items():
        for r in refs:
            children.setdefault(r, []).append(name)
    reached: set[str] = set()
    for atom in atoms:
        if atom.value not in known:
            return None
        base = {atom.value}
        if atom.childrens_parents:
            down = base | walk(children, base)
            reached |= down | walk(parents, down)
            continue
        reached |= base
        if atom.parents:
            reached |= walk(parents, base, atom.parents_depth)
        if atom.children:
            reached |= walk(children, base, atom.children_depth)
    groups = [{n, *parents[n]} for n, (_f, kind) in owner.items() if kind == "test"]
    for target, _column, entry, _path, _line in state.test_decls:  # YAML tests, `to: ref('x')`
        group = {target.name} if target.kind == "ref" else set()
        group |= set(_REF_ARG.findall(repr(entry)))
        if group - known - tables:
            return None
        groups.append(group - tables)
    grown = True
    while grown:  # every test touching what is reached brings all of its parents
        before = len(reached)
        for group in groups:
            if group & reached:
                reached |= group
        grown = len(reached) != before
    loaded = reached | walk(parents, reached)
    planned = {owner[n][0] for n in loaded if n in owner}
    planned |= {
        display
        for display, kind, entries in files
        if kind == "test" and all(set(parents[e[0]]) <= loaded for e in entries)
    }
    expected = {
        e[0] for display, kind, entries in files if display in planned and kind != "test" for e in entries
    }
    log.debug("partial load: %d of %d files", len(planned), len(files))
    return Plan(
        planned,
        loaded,
        reached,
        expected,
        set(known),
        tables,
        [Path(paths[f[0]]) for f in files if f[0] in planned],
    )


def source_params(state: LoadState) -> set[str]:
    """Parameter names that read a source table: ``<source>__<table>``, or a table name."""
    return {
        *(node.param_name for node in state.sources.values()),
        *(table for _, table in state.sources),
    }


_Indexed = tuple[str, str, list[list[Any]]]
"""One indexed file: its display path, kind and ``[name, refs, uses_source]`` per node it defines."""


def _index(state: LoadState, jinja: JinjaProject) -> tuple[list[_Indexed], dict[str, str]] | None:
    """The index of every model, snapshot and singular-test file; None when one is not sure.

    A file unchanged since a load recorded what it defines (same modification time and size,
    environment and env vars) costs a ``stat`` and a lookup; others go through :func:`_file_index`.
    """
    root, cfg = state.root, state.config
    cache = IndexCache(root / cfg.target_path / INDEX_FILE)
    macros_call_ref = any(_CALLS_REF.search(text) for text in jinja.sources.values())
    out: list[_Indexed] = []
    found_paths: dict[str, str] = {}
    listings = [
        (cfg.model_paths, {".py": "python", ".sql": "sql"}),
        (cfg.snapshot_paths, {".py": "python", ".sql": "snapshot"}),
        (cfg.test_paths, {".sql": "test"}),
    ]
    env_ids = {"python": cache.env_id(state.python_env), "sql": cache.env_id(state.sql_env), "test": -1}
    env_ids["snapshot"] = env_ids["sql"]
    recorded = cache.entries
    for folders, kinds in listings:
        for display, path in project_entries(root, tuple(folders), tuple(kinds)):
            kind = kinds[path[path.rindex(".") :]]
            if kind == "test" and "generic" in display.split("/")[1:-1]:
                continue
            if macros_call_ref and kind != "python":
                return None  # a macro may add a ref the file does not show
            try:
                stat = os.stat(path)
            except OSError:
                return None
            found_paths[display] = path
            rec = recorded.get(display)
            if rec is not None and rec[1] == stat.st_mtime_ns and rec[2] == stat.st_size:
                scan = rec[3]  # [kind, sure, tests, entries]
                exact = rec[4]  # [env, envvars, kind, sure, tests, entries]
                if exact is not None and exact[0] == env_ids[kind] and not exact[1] and exact[2] == kind:
                    if not exact[3] or exact[4]:
                        return None
                    out.append((display, kind, exact[5]))
                    continue
                if isinstance(scan, list) and scan[0] == kind and scan[1] and not scan[2]:
                    # a sure scan reads the text alone: no parse-cache entry can say more
                    out.append((display, kind, scan[3]))
                    continue
            found = _file_index(state, jinja, cache, path, display, kind, [stat.st_mtime_ns, stat.st_size])
            if found is None or found.has_tests:
                return None  # unreadable, or tests are imported with its models: load everything
            if not found.sure:
                log.debug("partial load: %s cannot be indexed for certain", display)
                return None
            out.append((display, kind, [[e.name, e.refs, e.uses_source] for e in found.entries]))
    cache.save(set(found_paths))
    return out, found_paths


def _file_index(
    state: LoadState,
    jinja: JinjaProject,
    cache: IndexCache,
    path: str,
    display: str,
    kind: str,
    mark: list[int],
) -> FileIndex | None:
    """The index of one file; its text is read only when it changed since it was last indexed."""
    text: str | None = None
    try:
        sha = cache.known_sha(display, mark)
        if sha is None:
            text = _read(path)
            sha = content_sha(text)
        env = state.python_env if kind == "python" else state.sql_env
        found = None if kind == "test" else _exact(state, cache, display, sha, mark, kind, env)
        if found is not None:  # what the last load of the file found (files with tests are never cached)
            return found
        found = cache.get(display, sha, kind)
        if found is None:
            text = _read(path) if text is None else text
            found = (
                scan_python(display, text)
                if kind == "python"
                else scan_sql(display, text, kind, _stem(path), jinja.env)
            )
            found.has_tests = kind == "python" and uses_test_decorator(text)
            cache.put(found, sha, mark)
    except (OSError, UnicodeDecodeError):
        return None
    return found


def _exact(
    state: LoadState, cache: IndexCache, display: str, sha: str, mark: list[int], kind: str, env: str
) -> FileIndex | None:
    """What loading the file found last time: from the index, else from the parse cache.

    What the parse cache held is then recorded in the index, so the next plan reads no parse cache.
    """
    found = cache.exact(display, sha, kind, env)
    if found is not None:
        cache.remember(display, sha, mark)  # a newer mark for the same content, say
        return found
    parsed = cached_parse(state.parse_cache.entry(display), sha, env)
    if parsed is None:
        return None
    found = from_parse_cache(display, kind, parsed[0])
    cache.put_exact(found, sha, mark, env, parsed[1])
    return found


def _read(path: str) -> str:
    """A file's text, as ``Path.read_text`` reads it (UTF-8, universal newlines)."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]
