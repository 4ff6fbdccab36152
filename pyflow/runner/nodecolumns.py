"""The columns of sources, seeds and SQL models, learned without building anything.

Python models learn their inputs' columns from these: a source's declared columns, its table in
the warehouse or its files as the schema oracle (an empty in-memory DuckDB) reads them; a seed's
CSV as the oracle reads it; a SQL model's compiled SELECT described by the oracle against empty
copies of its inputs (:mod:`pyflow.runner.oracle`). The project compiler memoizes the results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflow.compile.model import Columns
from pyflow.core.node import ModelNode, SeedNode, SourceNode
from pyflow.errors import CompileError, PyflowError

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler


def source_columns(compiler: ProjectCompiler, node: SourceNode) -> Columns | None:
    """A source's columns as Ibis dtypes, or None when unknown."""
    raw = source_raw_columns(compiler, node)
    if raw is None:
        return None
    kind, cols = raw
    adapter = compiler.oracle.adapter if kind == "oracle" else compiler.adapter
    return tuple((name, adapter.type_to_ibis(dtype)) for name, dtype in cols)


def source_raw_columns(
    compiler: ProjectCompiler, node: SourceNode
) -> tuple[str, list[tuple[str, str]]] | None:
    """A source's columns with engine type names, and whose names they are.

    ``("target", ...)`` for declared columns and tables in the warehouse (target types);
    ``("oracle", ...)`` for files described by the oracle. Memoized: also the cache key.
    """
    memo = compiler.raw_sources
    if node.unique_id in memo:
        return memo[node.unique_id]
    found: tuple[str, list[tuple[str, str]]] | None = None
    declared = list(node.columns.values())
    if declared and all(c.data_type for c in declared):
        found = ("target", [(c.name, str(c.data_type)) for c in declared])
    elif compiler.reads_files(node) and node.unique_id not in compiler.overrides:
        scan = compiler.adapter.file_scan_sql(compiler.file_location(node), node.file_format)
        try:
            cols = compiler.oracle.adapter.describe_query(f"SELECT * FROM {scan}")
            found = ("oracle", [(c.name, c.data_type) for c in cols])
        except PyflowError:
            found = None
    else:
        cols = compiler.adapter.get_columns(compiler.relation(node))
        found = ("target", [(c.name, c.data_type) for c in cols]) if cols else None
    memo[node.unique_id] = found
    return found


def seed_columns(compiler: ProjectCompiler, node: SeedNode) -> Columns | None:
    """The CSV's columns as the oracle reads it: known offline, whatever the target."""
    path = compiler.project.root / node.path
    scan = compiler.oracle.adapter.csv_scan_sql(path, dict(node.config.column_types), node.config.delimiter)
    return compiler.oracle.describe(scan, node.name)


def describe_sql_model(compiler: ProjectCompiler, uid: str, sql: str) -> Columns | None:
    """A SQL model's columns: its SELECT described against empty copies of its inputs."""
    node = compiler.project.node(uid)
    if not _mirror_inputs(compiler, uid):
        return None
    try:
        return compiler.oracle.describe(sql, node.name, dialect=compiler.adapter.dialect)
    except PyflowError as exc:
        raise CompileError(
            f"cannot determine the model's columns: {exc.message}",
            model=node.name,
            path=node.path,
            line=node.line,
            detail=exc.detail,
            hint="fix the SQL; pyflow checks it against empty copies of its inputs",
            code="sql-model-error",
        ) from None


def _mirror_inputs(compiler: ProjectCompiler, uid: str) -> bool:
    """Give the oracle an empty copy of every relation ``uid``'s SQL reads.

    Inlined (ephemeral) parents are looked through. False when some input's columns are unknown.
    """
    project = compiler.project
    for parent in project.graph.param_map.get(uid, {}).values():
        up = compiler.upstream(parent, with_columns=False)
        if up.relation is None:
            if isinstance(project.node(parent), ModelNode) and not _mirror_inputs(compiler, parent):
                return False
            continue
        cols = compiler.columns(parent)
        if cols is None:
            return False
        compiler.oracle.ensure_table(up.relation, cols)
    return True


def learn_ancestors_first(compiler: ProjectCompiler, uid: str) -> None:
    """Learn the columns of ``uid``'s model ancestors not known yet, parents first.

    Each then finds its inputs' columns known, so a chain of models thousands deep is not one
    recursion per level (a Python model over ~330 SQL models passed Python's recursion limit).
    The walk stops at known columns, so in a compile in dependency order it looks at a model's
    parents only. An error is left to be raised where the model that needs it asks again.
    """
    if compiler.learning:  # already inside this loop: parents are known or failed
        return
    params, project = compiler.project.graph.param_map, compiler.project
    pending: list[str] = []
    seen, stack = {uid}, [uid]
    while stack:
        for parent in params.get(stack.pop(), {}).values():
            if parent in seen or compiler.known_columns(parent):
                continue
            seen.add(parent)
            node = project.node(parent)
            if isinstance(node, ModelNode) and parent not in compiler.deferred:  # (read as built)
                stack.append(parent)
                if not node.returns_dataframe:  # (its frame's columns are asked for where needed)
                    pending.append(parent)
    if not pending:
        return
    compiler.learning = True
    try:
        for parent in project.graph.topo_order(pending):
            try:
                compiler.columns(parent)
            except PyflowError:
                continue
    finally:
        compiler.learning = False
