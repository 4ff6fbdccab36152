"""Selector methods: one small class per ``method:`` of dbt's selection grammar.

Owns deciding which nodes of a :class:`~pyflow.core.graph.Graph` match one ``method:value``
(``tag:daily``, ``file:stg_orders.sql`` ...); :mod:`pyflow.core.selector` parses criteria and
applies graph operators and set operations. Knows nothing about engines or running.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, get_args

from pydantic import BaseModel

from pyflow.core.graph import Graph
from pyflow.core.node import ModelNode, Node, ResourceType, SourceNode, TestNode
from pyflow.core.state import RESULT_VALUES, STATE_VALUES, State, compare, matches_state
from pyflow.core.version import latest_of
from pyflow.errors import SelectionError, closest

if TYPE_CHECKING:
    from pyflow.core.macrodeps import MacroIndex

RESOURCE_TYPES: tuple[str, ...] = (*get_args(ResourceType), "unit_test")
"""Values of ``resource_type:``: dbt's names; ``test`` is a data test, ``unit_test`` a unit test."""

NOT_YET: Mapping[str, str] = MappingProxyType(
    {
        "source_status": "needs source freshness results of a previous run, which pyflow does not read yet",
        "exposure": "pyflow projects have no exposures yet",
        "metric": "pyflow projects have no metrics yet",
        "semantic_model": "pyflow projects have no semantic models yet",
        "saved_query": "pyflow projects have no saved queries yet",
        "wildcard": "dbt's wildcard method is not supported",
    }
)
"""dbt methods pyflow knows but cannot evaluate yet, with the reason (a clear error, not 'unknown')."""


def selection_error(message: str, hint: str, suggestions: Sequence[str] = ()) -> SelectionError:
    """A :class:`SelectionError` (code ``bad-selector``) with its fix."""
    return SelectionError(message, hint=hint, suggestions=suggestions)


def resource_type_of(node: Node) -> str:
    """The dbt resource type of ``node``: ``unit_test`` for unit tests, else the node's own."""
    if isinstance(node, TestNode) and node.test_type == "unit":
        return "unit_test"
    return node.resource_type


class Method(ABC):
    """One selector method: decides whether a node matches ``value``."""

    takes_arguments: ClassVar[bool] = False
    choices: ClassVar[tuple[str, ...]] = ()
    """The values the method accepts (empty: any value, a glob for most methods)."""
    value_kind: ClassVar[str] = "value"
    """What a value is called in the error for one outside :attr:`choices`."""

    def __init__(
        self,
        graph: Graph,
        arguments: tuple[str, ...],
        raw: str,
        state: State | None = None,
        macros: MacroIndex | None = None,
    ) -> None:
        """Bind to ``graph``; ``raw`` quotes the criterion (with its flag) for error messages.

        ``state`` is the earlier manifest of ``--state``, for ``state:`` and ``result:``;
        ``macros`` the current project's macro calls, for ``state:modified.macros``.
        """
        self.graph = graph
        self.arguments = arguments
        self.raw = raw
        self.state = state
        self.macros = macros
        self.bind()

    def bind(self) -> None:  # noqa: B027 - a hook, not abstract: most methods need nothing
        """Check the criterion and prepare what :meth:`matches` needs (nothing by default)."""

    def search(self, value: str) -> set[str]:
        """Return the unique ids of the nodes matching ``value``.

        Raises:
            SelectionError: The method has :attr:`choices` and ``value`` is not one of them.

        """
        if self.choices and value not in self.choices:
            raise selection_error(
                f"{self.raw} names unknown {self.value_kind} '{value}'",
                "use one of: " + ", ".join(self.choices),
                closest(value, self.choices),
            )
        return {uid for uid, node in self.graph.nodes.items() if self.matches(node, value)}

    def needed_state(self, purpose: str, hint: str) -> State:
        """The ``--state`` manifest, which this method needs for ``purpose``.

        Raises:
            SelectionError: ``state-required`` when no ``--state`` was given.

        """
        if self.state is None:
            raise SelectionError(
                f"{self.raw} {purpose}, but no --state was given", hint=hint, code="state-required"
            )
        return self.state

    @abstractmethod
    def matches(self, node: Node, value: str) -> bool:
        """Return whether ``node`` matches ``value``."""


class _NameMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        if isinstance(node, SourceNode):
            return False
        versioned = getattr(node, "versioned_name", None)  # a version matches its model's name too
        return fnmatchcase(node.name, value) or (versioned is not None and fnmatchcase(versioned, value))


_VERSIONS = ("latest", "prerelease", "old", "none")


class _VersionMethod(Method):
    """dbt's ``version:latest|prerelease|old|none`` (``none``: models without versions)."""

    def search(self, value: str) -> set[str]:
        if value not in _VERSIONS:
            raise selection_error(
                f"{self.raw}: version:{value} is not one of {', '.join(_VERSIONS)}",
                "write version:latest, version:prerelease, version:old or version:none",
                closest(value, _VERSIONS),
            )
        return super().search(value)

    def matches(self, node: Node, value: str) -> bool:
        if node.resource_type != "model":
            return False
        version, latest = getattr(node, "version", None), getattr(node, "latest_version", None)
        if version is None or latest is None:
            return value == "none"
        if value == "latest":
            return bool(version == latest)
        newer = latest_of([version, latest]) == version
        return (value == "prerelease") == newer and value in ("prerelease", "old")


def _config(node: Node) -> BaseModel | None:
    cfg = getattr(node, "config", None)
    return cfg if isinstance(cfg, BaseModel) else None


def _tags(node: Node) -> tuple[str, ...]:
    if isinstance(node, SourceNode):
        return node.tags
    return tuple(getattr(_config(node), "tags", ()))


class _TagMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        return any(fnmatchcase(tag, value) for tag in _tags(node))


class _PathMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        want = PurePosixPath(value.replace("\\", "/")).parts
        have = PurePosixPath(node.path.replace("\\", "/")).parts
        return len(want) <= len(have) and all(map(fnmatchcase, have, want))


class _FileMethod(Method):
    """``file:stg_orders.sql`` or ``file:stg_orders``: the defining file's name or stem."""

    def matches(self, node: Node, value: str) -> bool:
        path = PurePosixPath(node.path.replace("\\", "/"))
        return fnmatchcase(path.name, value) or fnmatchcase(path.stem, value)


class _PackageMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        return fnmatchcase(node.package, value)


class _ConfigMethod(Method):
    takes_arguments = True

    def bind(self) -> None:
        graph, arguments, raw = self.graph, self.arguments, self.raw
        attributes: dict[str, str] = {}
        for node in graph.nodes.values():
            cfg = _config(node)
            if cfg is not None:
                fields = type(cfg).model_fields
                attributes.update({f.alias or name: name for name, f in fields.items()})
        if not arguments:
            raise selection_error(
                f"{raw} names no config key", "write config.<key>:<value>, e.g. config.materialized:table"
            )
        key = arguments[0]
        if attributes and key not in attributes:
            raise selection_error(
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


class _GroupMethod(Method):
    """dbt's ``group:<name>``: the nodes whose ``group`` config is that name (no wildcards, as dbt)."""

    def matches(self, node: Node, value: str) -> bool:
        return getattr(_config(node), "group", None) == value


class _AccessMethod(Method):
    """dbt's ``access:public|protected|private``: models only; one without ``access`` is protected."""

    choices = ("private", "protected", "public")
    value_kind = "access level"

    def matches(self, node: Node, value: str) -> bool:
        if not isinstance(node, ModelNode):
            return False
        return (node.config.access or "protected") == value


class _SourceMethod(Method):
    def search(self, value: str) -> set[str]:
        if len(value.split(".")) > 3:
            raise selection_error(
                f"{self.raw} has too many parts", "write source:<source> or source:<source>.<table>"
            )
        return super().search(value)

    def matches(self, node: Node, value: str) -> bool:
        if not isinstance(node, SourceNode):
            return False
        parts = value.split(".")  # source | source.table | package.source.table
        have = node.fqn if len(parts) == 3 else node.fqn[1 : 1 + len(parts)]
        return all(map(fnmatchcase, have, parts))


class _ResourceTypeMethod(Method):
    choices = RESOURCE_TYPES
    value_kind = "resource type"

    def matches(self, node: Node, value: str) -> bool:
        return resource_type_of(node) == value


class _FqnMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        fqn: tuple[str, ...] = tuple(getattr(node, "fqn", ())) or (node.package, node.name)
        if fnmatchcase(fqn[-1], value):
            return True
        parts = value.split(".")
        return len(parts) <= len(fqn) and all(map(fnmatchcase, fqn, parts))


class _TestTypeMethod(Method):
    choices = ("unit", "data", "generic", "singular")
    value_kind = "test type"

    def matches(self, node: Node, value: str) -> bool:
        if not isinstance(node, TestNode):
            return False
        if value in ("unit", "data"):
            return node.test_type == value
        return node.test_type == "data" and node.kind == value


class _TestNameMethod(Method):
    def matches(self, node: Node, value: str) -> bool:
        return isinstance(node, TestNode) and (
            fnmatchcase(node.test_name, value) or fnmatchcase(node.name, value)
        )


class _StateMethod(Method):
    """``state:new|modified[.body|.configs|.relation|.macros|.contract]|unmodified|old``."""

    choices = STATE_VALUES
    value_kind = "state"

    def bind(self) -> None:
        state = self.needed_state(
            "compares with an earlier manifest",
            "pass --state DIR, the folder holding the manifest.json of the run to compare "
            "with (e.g. production's target/ folder kept as a CI artifact)",
        )
        self.found = compare(self.graph, state, self.macros)

    def matches(self, node: Node, value: str) -> bool:
        return matches_state(self.found[node.unique_id], value)


class _ResultMethod(Method):
    """``result:error|fail|warn|success|pass|skipped|cancelled``: statuses of the earlier run."""

    choices = RESULT_VALUES
    value_kind = "result status"

    def bind(self) -> None:
        state = self.needed_state(
            "selects by the results of an earlier run",
            "pass --state DIR, the folder holding that run's run_results.json and manifest.json",
        )
        if state.results is None:
            raise SelectionError(
                f"{self.raw} selects by the results of an earlier run, but the --state folder holds "
                "no run_results.json",
                path=state.path,
                hint="keep the run_results.json that `pyflow build` (or run, test ...) writes to "
                "target/ together with manifest.json",
                code="state-not-found",
            )
        self.results = state.results

    def matches(self, node: Node, value: str) -> bool:
        return self.results.get(node.unique_id) == value


METHODS: Mapping[str, type[Method]] = MappingProxyType(
    {
        "name": _NameMethod,
        "tag": _TagMethod,
        "path": _PathMethod,
        "file": _FileMethod,
        "package": _PackageMethod,
        "config": _ConfigMethod,
        "source": _SourceMethod,
        "resource_type": _ResourceTypeMethod,
        "fqn": _FqnMethod,
        "test_type": _TestTypeMethod,
        "test_name": _TestNameMethod,
        "state": _StateMethod,
        "result": _ResultMethod,
        "version": _VersionMethod,
        "group": _GroupMethod,
        "access": _AccessMethod,
    }
)
"""Method name -> class; ``selector:`` (a YAML selector by name) is resolved by the caller."""


def method_for(
    graph: Graph,
    method: str,
    arguments: tuple[str, ...],
    raw: str,
    state: State | None = None,
    macros: MacroIndex | None = None,
) -> Method:
    """The bound method class for ``method`` (``raw``: the quoted criterion, for errors).

    ``state`` is the earlier manifest of ``--state`` (``state:`` needs it); ``macros`` the
    current project's macro calls (for ``state:modified.macros``).

    Raises:
        SelectionError: The method is unknown (with a did-you-mean), not supported yet, or
            takes no ``.`` arguments but got some.

    """
    cls = METHODS.get(method)
    if cls is None:
        if method in NOT_YET:
            raise SelectionError(
                f"{raw} uses selector method '{method}:', which pyflow does not support yet: "
                f"{NOT_YET[method]}",
                hint="select by name, tag:, path:, config.<key>: ... instead (see docs/cli.md#selectors)",
                code="unsupported-selector",
            )
        raise selection_error(
            f"{raw} uses unknown selector method '{method}'",
            "use one of: " + ", ".join(sorted(METHODS)) + ", or a bare model name",
            closest(method, [*METHODS, *NOT_YET]),
        )
    if arguments and not cls.takes_arguments:
        dotted = ".".join((method, *arguments))
        raise selection_error(f"{raw} uses '{dotted}'", f"write {method}:<value> without a '.' suffix")
    return cls(graph, arguments, raw, state, macros)
