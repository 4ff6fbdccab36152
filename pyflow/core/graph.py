"""The DAG: resolve dependencies as written to nodes, detect duplicates and cycles, order.

Resolution of a Python parameter name, in order: a model, seed or snapshot of that name; a
source table written ``<source>__<table>``; a bare source table name when it is unique and not
shadowed. SQL ``ref('x')`` resolves to a model, seed or snapshot; ``source('s', 't')`` to a
declared source table. Anything else is a :class:`GraphError` with the closest names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pyflow.core.node import DependencyRef, ModelNode, Node, SeedNode, SourceNode, TestNode
from pyflow.core.spec import CTX_PARAM, defaulted_params
from pyflow.core.version import version_aliases
from pyflow.errors import GraphError, PyflowError, closest


@dataclass
class Graph:
    """Nodes by unique id, with parent and child edges."""

    nodes: dict[str, Node]
    parents: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    param_map: dict[str, dict[str, str]] = field(default_factory=dict)

    def topo_order(self, ids: Iterable[str] | None = None) -> list[str]:
        """Unique ids in dependency order (parents first), stable by name."""
        wanted = set(self.nodes if ids is None else ids)
        indeg = {n: sum(1 for p in self.parents.get(n, []) if p in wanted) for n in wanted}
        ready = sorted(n for n, d in indeg.items() if d == 0)
        out: list[str] = []
        import heapq

        heapq.heapify(ready)
        while ready:
            n = heapq.heappop(ready)
            out.append(n)
            for c in self.children.get(n, []):
                if c in indeg:
                    indeg[c] -= 1
                    if indeg[c] == 0:
                        heapq.heappush(ready, c)
        return out

    def ancestors(self, uid: str, depth: int | None = None) -> set[str]:
        """Every node ``uid`` depends on (up to ``depth`` edges)."""
        return self._walk(uid, self.parents, depth)

    def descendants(self, uid: str, depth: int | None = None) -> set[str]:
        """Every node that depends on ``uid`` (up to ``depth`` edges)."""
        return self._walk(uid, self.children, depth)

    def downstream_of_all(self, ids: Iterable[str], cache: dict[str, set[str]] | None = None) -> set[str]:
        """Nodes that depend on every one of ``ids`` (none of ``ids`` itself: the graph has no cycle).

        ``cache`` keeps each node's descendants between calls.
        """
        cache = {} if cache is None else cache
        found: set[str] | None = None
        for uid in ids:
            if uid not in cache:
                cache[uid] = self.descendants(uid)
            found = set(cache[uid]) if found is None else found & cache[uid]
        return found or set()

    @staticmethod
    def _walk(uid: str, edges: Mapping[str, list[str]], depth: int | None) -> set[str]:
        seen: set[str] = set()
        frontier = [uid]
        level = 0
        while frontier and (depth is None or level < depth):
            nxt = []
            for n in frontier:
                for m in edges.get(n, []):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            frontier = nxt
            level += 1
        return seen


def _find_cycle(parents: Mapping[str, list[str]]) -> list[str] | None:
    """One cycle as a list of ids (first == last), or None.

    A depth-first search with an explicit stack, so a chain of any depth needs no Python
    recursion (a 5,000-deep chain of models is a normal graph, not a RecursionError).
    """
    white, grey, black = 0, 1, 2
    color: dict[str, int] = defaultdict(int)
    for root in sorted(parents):
        if color[root] != white:
            continue
        path: list[str] = [root]
        todo: list[Iterator[str]] = [iter(parents.get(root, []))]
        color[root] = grey
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                color[path.pop()] = black
                todo.pop()
            elif color[nxt] == grey:
                return [*path[path.index(nxt) :], nxt]
            elif color[nxt] == white:
                color[nxt] = grey
                path.append(nxt)
                todo.append(iter(parents.get(nxt, [])))
    return None


def build_graph(
    models: Mapping[str, ModelNode],
    seeds: Mapping[str, SeedNode],
    sources: Mapping[tuple[str, str], SourceNode],
    disabled: Mapping[str, Node] | None = None,
    tests: Mapping[str, TestNode] | None = None,
    failed: Collection[str] = (),
) -> tuple[Graph, list[PyflowError]]:
    """Resolve every dependency; return the graph and all errors found.

    ``failed`` names nodes whose definition failed (their own error is reported already): a
    dependency on one of them is left out of the graph without a second, misleading error.
    """
    errors: list[PyflowError] = []
    nodes: dict[str, Node] = {}
    by_name: dict[str, Node] = {}
    for n in [*seeds.values(), *models.values()]:
        nodes[n.unique_id] = n
        by_name[n.name] = n
    for key, versioned in version_aliases(models.values()).items():  # ref('dim', v=2), ref('dim')
        by_name.setdefault(key, versioned)
    for s in sources.values():
        nodes[s.unique_id] = s
    by_param = {s.param_name: s for s in sources.values()}
    bare: dict[str, list[SourceNode]] = defaultdict(list)
    for s in sources.values():
        bare[s.table_name].append(s)
    for t in (tests or {}).values():
        nodes[t.unique_id] = t
    graph = Graph(nodes=nodes)
    disabled = disabled or {}

    dependents: list[ModelNode | TestNode] = [*models.values(), *(tests or {}).values()]
    for m in dependents:
        parents: list[str] = []
        pmap: dict[str, str] = {}
        for dep in m.refs:
            target = _resolve(dep, by_name, by_param, bare, sources)
            if target is None:
                if dep.name not in failed or dep.kind == "source":
                    errors.append(_missing(m, dep, by_name, by_param, sources, disabled))
                continue
            pmap[dep.name if dep.kind != "source" else f"{dep.name}.{dep.source_table}"] = target.unique_id
            if target.unique_id not in parents:
                parents.append(target.unique_id)
        graph.parents[m.unique_id] = parents
        graph.param_map[m.unique_id] = pmap
        for p in parents:
            graph.children[p].append(m.unique_id)
    cycle = _find_cycle(graph.parents)
    if cycle:
        names = [nodes[c].name for c in reversed(cycle)]
        first = nodes[cycle[0]]
        errors.append(
            GraphError(
                "dependency cycle: " + " -> ".join(names),
                model=first.name,
                resource=first.resource_type,
                path=first.path,
                line=first.line,
                detail="\n".join(
                    f"{nodes[c].name}: {nodes[c].path}:{nodes[c].line}" for c in reversed(cycle[1:])
                ),
                hint="break the cycle: one of these models must stop depending on the next",
                code="dependency-cycle",
            )
        )
    return graph, errors


def _resolve(
    dep: DependencyRef,
    by_name: Mapping[str, Node],
    by_param: Mapping[str, SourceNode],
    bare: Mapping[str, list[SourceNode]],
    sources: Mapping[tuple[str, str], SourceNode],
) -> Node | None:
    if dep.kind == "source":
        return sources.get((dep.name, dep.source_table or ""))
    if dep.name in by_name:
        return by_name[dep.name]
    if dep.kind == "ref":
        return None
    if dep.name in by_param:
        return by_param[dep.name]
    candidates = bare.get(dep.name, [])
    if len(candidates) == 1:
        return candidates[0]
    return None


def _missing(
    m: ModelNode | TestNode,
    dep: DependencyRef,
    by_name: Mapping[str, Node],
    by_param: Mapping[str, SourceNode],
    sources: Mapping[tuple[str, str], SourceNode],
    disabled: Mapping[str, Node],
) -> GraphError:
    if dep.kind == "source":
        tables = [f"{s}.{t}" for s, t in sources]
        wrote = f"{dep.name}.{dep.source_table}"
        return GraphError(
            f"depends on source('{dep.name}', '{dep.source_table}'), which is not declared",
            model=m.name,
            resource=m.resource_type,
            path=m.path,
            line=dep.line,
            suggestions=closest(wrote, tables),
            hint=f"declare table '{dep.source_table}' under source '{dep.name}' in a "
            "sources YAML file, or correct the name",
            code="missing-dependency",
        )
    if dep.name in disabled:
        d = disabled[dep.name]
        return GraphError(
            f"depends on '{dep.name}', which is disabled ({d.path})",
            model=m.name,
            resource=m.resource_type,
            path=m.path,
            line=dep.line,
            hint=f"enable '{dep.name}' (enabled: true) or remove the dependency",
            code="disabled-dependency",
        )
    bare_names = [t for (_, t) in sources]
    ambiguous = [f"{s}__{t}" for (s, t) in sources if t == dep.name]
    if dep.kind == "param" and len(ambiguous) > 1:
        return GraphError(
            f"parameter '{dep.name}' matches tables of several sources",
            model=m.name,
            resource=m.resource_type,
            path=m.path,
            line=dep.line,
            suggestions=ambiguous,
            hint="name the source explicitly: <source>__<table>",
            code="ambiguous-dependency",
        )
    names = [*by_name, *by_param, *bare_names] if dep.kind == "param" else list(by_name)
    what = "a model, seed, snapshot or source" if dep.kind == "param" else "a model, seed or snapshot"
    fix = (
        f"rename the parameter, or declare a source table '{dep.name}' in a sources YAML file"
        f" (use '<source>__<table>' for source tables); '{CTX_PARAM}' is the run context"
        if dep.kind == "param"
        else "correct the name in ref(), or add that model or seed"
    )
    if dep.kind == "param" and isinstance(m, ModelNode) and dep.name in defaulted_params(m.raw_code):
        fix = (
            f"every parameter of a model is an input, so the default value of '{dep.name}' is never "
            f"used: remove the parameter and keep the value in the module (a constant), or read it "
            f"with {CTX_PARAM}.var('{dep.name}', <default>) to set it per run with --vars"
        )
    return GraphError(
        f"depends on '{dep.name}', which is not {what}",
        model=m.name,
        resource=m.resource_type,
        path=m.path,
        line=dep.line,
        suggestions=closest(dep.name, names),
        hint=fix,
        code="missing-dependency",
    )
