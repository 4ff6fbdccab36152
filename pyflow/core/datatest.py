"""Data tests as graph nodes, from their declarations.

Declarations (YAML ``tests:``/``data_tests:``, ``@model(tests=..., columns=...)``) become
:class:`~pyflow.core.node.TestNode` values.

A declaration is a test name (``unique``) or a mapping (``{accepted_values: {values: [...],
config: {severity: warn}}}``, dbt's ``arguments:`` form, or ``{name: my_name, test_name: ...}``).
Arguments and config are told apart by the config's field names, as dbt does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pyflow.core.node import DependencyRef, TestNode
from pyflow.core.nodeconfig import TestConfig, config_keys
from pyflow.errors import ProjectError, closest

BUILTIN_TESTS: dict[str, tuple[str, ...]] = {
    # name: required arguments (column_name comes from where the test is declared)
    "unique": ("column_name",),
    "not_null": ("column_name",),
    "accepted_values": ("column_name", "values"),
    "relationships": ("column_name", "to", "field"),
    "unique_combination_of_columns": ("combination_of_columns",),
    "expression_is_true": ("expression",),
    "accepted_range": ("column_name",),
    "not_empty": (),
    "at_least_one": ("column_name",),
    "recency": ("field", "datepart", "interval"),
}
CONFIG_KEYS = frozenset(config_keys(TestConfig)) | {"config"}


@dataclass(frozen=True)
class Target:
    """What a declaration tests: a model/seed/snapshot (``ref``) or a source table."""

    kind: str  # "ref" or "source"
    name: str
    table: str | None = None

    @property
    def key(self) -> str:
        """The key under which the graph maps this dependency."""
        return f"{self.name}.{self.table}" if self.kind == "source" else self.name

    @property
    def label(self) -> str:
        """Used in generated test names."""
        return f"source_{self.name}_{self.table}" if self.kind == "source" else self.name

    def ref(self, line: int) -> DependencyRef:
        """The dependency on the tested node."""
        kind = "source" if self.kind == "source" else "ref"
        return DependencyRef(self.name, line, kind, self.table)  # type: ignore[arg-type]


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")


def split_entry(entry: Any) -> tuple[str, str | None, dict[str, Any], dict[str, Any]]:
    """``(test_name, custom_name, arguments, config)`` of one declaration."""
    if isinstance(entry, str):
        return entry, None, {}, {}
    if not isinstance(entry, Mapping) or not entry:
        raise ValueError(f"a test is a name or a one-key mapping, not {entry!r}")
    if "test_name" in entry:
        body = {k: v for k, v in entry.items() if k not in ("test_name", "name")}
        test, custom = str(entry["test_name"]), entry.get("name")
    else:
        if len(entry) != 1:
            raise ValueError(
                f"a test mapping has exactly one key (the test name), got {sorted(entry)}; "
                "use {name: ..., test_name: ...} to name a test"
            )
        test, body = next(iter(entry.items()))
        body = dict(body or {})
        custom = body.pop("name", None)
    args = dict(body.pop("arguments", None) or {})
    config = dict(body.pop("config", None) or {})
    for key, value in body.items():
        (config if key in CONFIG_KEYS else args)[key] = value
    return str(test), (str(custom) if custom else None), args, config


def make_test(
    entry: Any,
    target: Target,
    column: str | None,
    *,
    package: str,
    path: str,
    line: int,
    known: Callable[[str], bool],
    parse_ref: Callable[[str], DependencyRef | None],
) -> TestNode:
    """Build one test node; raise ProjectError naming file:line and a fix."""
    try:
        test, custom, args, config = split_entry(entry)
    except ValueError as exc:
        raise ProjectError(
            f"cannot read the test declaration: {exc}",
            model=target.label,
            path=path,
            line=line,
            hint="write `- unique` or `- accepted_values: {values: [a, b]}`",
            code="invalid-test",
        ) from None
    if not known(test):
        raise ProjectError(
            f"unknown test '{test}'",
            model=target.label,
            path=path,
            line=line,
            suggestions=closest(test, BUILTIN_TESTS),
            hint="use a built-in test (" + ", ".join(BUILTIN_TESTS) + ") or define a custom "
            "generic test ({% test name(model, column_name) %} in macros/ or tests/generic/, "
            "or @generic_test in Python)",
            code="unknown-test",
        )
    if column is not None:
        args.setdefault("column_name", column)
    for required in BUILTIN_TESTS.get(test, ()):
        if required not in args:
            raise ProjectError(
                f"test '{test}' needs the argument '{required}'",
                model=target.label,
                path=path,
                line=line,
                hint=f"add `{required}: ...` under the test (or declare it under a column)"
                if required == "column_name"
                else f"add `{required}: ...` under the test",
                code="invalid-test",
            )
    try:
        cfg = TestConfig.model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ProjectError(
            f"invalid test config '{key}': {first['msg']}",
            model=target.label,
            path=path,
            line=line,
            suggestions=closest(key, config_keys(TestConfig)),
            hint="valid test config keys: " + ", ".join(config_keys(TestConfig)),
            code="invalid-test",
        ) from None
    refs = [target.ref(line)]
    if test == "relationships":
        other = parse_ref(str(args["to"]))
        if other is None:
            raise ProjectError(
                f"relationships 'to: {args['to']}' is not ref('name') or source('source', 'table')",
                model=target.label,
                path=path,
                line=line,
                hint="write `to: ref('customers')`",
                code="invalid-test",
            )
        refs.append(other)
    extra = {k: v for k, v in args.items() if k != "column_name"}
    name = custom or _slug("_".join(p for p in (test, target.label, column or "") if p))
    if extra and not custom:
        name += "_" + hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return TestNode(
        name=name,
        package=package,
        path=path,
        line=line,
        config=cfg,
        refs=tuple(refs),
        test_name=test,
        kwargs=args,
        attached=target.key,
        kind="generic",
        description=cfg.description or "",
        checksum=hashlib.sha256(json.dumps([test, args, config], sort_keys=True, default=str).encode()).hexdigest(),
    )


def column_entries(columns: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(column, entry)`` for every test declared under YAML columns."""
    out: list[tuple[str, Any]] = []
    for col in columns:
        for entry in [*col.tests, *col.data_tests]:
            out.append((col.name, entry))
    return out
