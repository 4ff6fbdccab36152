"""Nodes of the project graph: models (Python or SQL), seeds and sources.

A node knows its name, file, config and the names it depends on *as written* (parameter names,
``ref``/``source`` calls); :mod:`pyflow.core.graph` resolves those names to nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pyflow.core.nodeconfig import ModelConfig, SeedConfig, SnapshotConfig, TestConfig

ResourceType = Literal["model", "seed", "source", "snapshot", "test"]


@dataclass(frozen=True)
class DependencyRef:
    """A dependency as written: a parameter, ``ref('x')`` or ``source('s', 't')``."""

    name: str
    line: int
    kind: Literal["param", "ref", "source"]
    source_table: str | None = None

    def display(self) -> str:
        """How the user wrote it."""
        if self.kind == "source":
            return f"source('{self.name}', '{self.source_table}')"
        if self.kind == "ref":
            return f"ref('{self.name}')"
        return f"parameter '{self.name}'"


@dataclass(frozen=True)
class ColumnInfo:
    """A documented column."""

    name: str
    description: str = ""
    data_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    constraints: tuple[dict[str, Any], ...] = ()
    """dbt's column ``constraints:`` (``{type: not_null}`` ...), applied with an enforced contract."""


@dataclass
class Node:
    """Base of every graph node."""

    name: str
    package: str
    path: str
    line: int

    resource_type: ClassVar[ResourceType]

    @property
    def unique_id(self) -> str:
        """dbt-style id, e.g. ``model.shop.stg_orders``."""
        return f"{self.resource_type}.{self.package}.{self.name}"


@dataclass
class ModelNode(Node):
    """A Python (``@model``) or SQL (``models/*.sql``) model."""

    language: Literal["python", "sql"] = "python"
    config: ModelConfig = field(default_factory=ModelConfig)
    refs: tuple[DependencyRef, ...] = ()
    checksum: str = ""
    description: str = ""
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    raw_code: str = ""
    fqn: tuple[str, ...] = ()
    constraints: tuple[dict[str, Any], ...] = ()
    """dbt's model-level ``constraints:`` (``{type: primary_key, columns: [id]}`` ...)."""
    version: str | None = None
    """The version this node is of the versioned model ``versioned_name`` (:mod:`pyflow.core.version`)."""
    latest_version: str | None = None
    versioned_name: str | None = None
    module_name: str | None = None
    returns_dataframe: bool = False
    params: tuple[str, ...] = ()

    resource_type: ClassVar[ResourceType] = "model"

    @property
    def unique_id(self) -> str:
        """dbt-style id; a version of a versioned model: ``model.shop.dim_customers.v2``."""
        if self.version is not None and self.versioned_name is not None:
            return f"{self.resource_type}.{self.package}.{self.versioned_name}.v{self.version}"
        return f"{self.resource_type}.{self.package}.{self.name}"

    @property
    def is_python(self) -> bool:
        """True for ``@model`` functions."""
        return self.language == "python"


@dataclass
class SnapshotNode(ModelNode):
    """An SCD type 2 snapshot (``@snapshot`` function or ``{% snapshot %}`` block)."""

    resource_type: ClassVar[ResourceType] = "snapshot"
    config: SnapshotConfig = field(default=None)  # type: ignore[assignment]
    block: str | None = None
    """For SQL snapshots: the ``{% snapshot %}`` block to render."""


@dataclass
class SeedNode(Node):
    """A CSV file loaded as a table."""

    config: SeedConfig = field(default_factory=SeedConfig)
    checksum: str = ""
    description: str = ""
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    fqn: tuple[str, ...] = ()

    resource_type: ClassVar[ResourceType] = "seed"


@dataclass(frozen=True)
class Freshness:
    """A source table's freshness rule: how old its newest row may be before a warning or an error."""

    warn_after: tuple[int, str] | None = None
    """``(count, period)``, period ``minute``, ``hour`` or ``day``."""
    error_after: tuple[int, str] | None = None
    filter: str | None = None
    """A SQL condition restricting the rows that count."""


@dataclass
class SourceNode(Node):
    """A table loaded by something else, declared in a ``sources:`` YAML block."""

    source_name: str = ""
    table_name: str = ""
    identifier: str = ""
    schema: str | None = None
    database: str | None = None
    description: str = ""
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    external_location: str | None = None
    file_format: str | None = None
    has_table: bool = False
    """``schema`` or ``database`` was declared: engines that cannot read files read that table."""
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    loaded_at_field: str | None = None
    freshness: Freshness | None = None
    event_time: str | None = None
    """dbt's ``event_time`` (``config:`` of the source or table): microbatch models filter on it."""

    resource_type: ClassVar[ResourceType] = "source"

    @property
    def unique_id(self) -> str:  # noqa: D102
        return f"source.{self.package}.{self.source_name}.{self.table_name}"

    @property
    def param_name(self) -> str:
        """The Python parameter name that refers to it: ``<source>__<table>``."""
        return f"{self.source_name}__{self.table_name}"

    @property
    def fqn(self) -> tuple[str, ...]:
        """Path used by ``source:`` selectors."""
        return (self.package, self.source_name, self.table_name)


@dataclass
class TestNode(Node):
    """A data test: a query returning failing rows (generic ``unique``... or singular)."""

    __test__ = False  # not a pytest class

    resource_type: ClassVar[ResourceType] = "test"
    config: TestConfig = field(default_factory=TestConfig)
    refs: tuple[DependencyRef, ...] = ()
    test_name: str = ""
    """The generic test (``unique``, ``accepted_values``, a custom one) or the singular test's name."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Arguments: ``column_name``, ``values``, ``to`` ..."""
    attached: str | None = None
    """Key (as in the graph's param map) of the node under test, for generic tests."""
    ref_args: dict[str, str] = field(default_factory=dict)
    """Arguments naming a relation (``to: ref('x')``) -> the key (as in the param map) of that node."""
    kind: Literal["generic", "singular"] = "generic"
    language: Literal["sql", "python"] = "sql"
    raw_code: str = ""
    test_type: Literal["data", "unit"] = "data"
    description: str = ""
    checksum: str = ""
    module_name: str | None = None
    id_hash: str = ""
    """The hash ending a generic test's unique id (dbt's; :mod:`pyflow.core.testname`)."""

    @property
    def unique_id(self) -> str:
        """dbt's: ``test.<project>.<name>[.<hash>]``, ``unit_test.<project>.<model>.<name>``."""
        if self.test_type == "unit":
            return f"unit_test.{self.package}.{self.attached}.{self.name}"
        base = f"test.{self.package}.{self.name}"
        return f"{base}.{self.id_hash}" if self.id_hash else base

    @property
    def column_name(self) -> str | None:
        """The tested column, for column tests."""
        value = self.kwargs.get("column_name")
        return str(value) if value is not None else None

    @property
    def fqn(self) -> tuple[str, ...]:
        """Path used by selectors."""
        return (self.package, self.name)


def is_unit_test(node: Node) -> bool:
    """True for a YAML unit test node (run on fixtures, never against the target)."""
    return isinstance(node, TestNode) and node.test_type == "unit"
