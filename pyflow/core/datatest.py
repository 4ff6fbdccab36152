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
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from pyflow.core.monitor import MONITOR_TESTS, check_arguments
from pyflow.core.node import DependencyRef, TestNode
from pyflow.core.nodeconfig import TestConfig, config_keys, merge_layers
from pyflow.core.testname import generic_test_id_hash, generic_test_name, model_argument
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
    **{name: required for name, (required, _) in MONITOR_TESTS.items()},
}
BUILTIN_OPTIONAL: dict[str, tuple[str, ...]] = {
    "accepted_values": ("quote",),
    "accepted_range": ("min_value", "max_value", "inclusive"),
    **{name: optional for name, (_, optional) in MONITOR_TESTS.items()},
}
MONITOR_HINT = "see docs/monitoring.md#monitors for each monitor's arguments"
CONFIG_KEYS = frozenset(config_keys(TestConfig)) | {"config"}


@dataclass(frozen=True)
class TestDefinition:
    """A generic test (built-in or custom): the arguments it takes besides ``model``, and where it lives."""

    __test__ = False  # not a pytest class

    name: str
    language: Literal["sql", "python"]
    path: str
    line: int
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    any_argument: bool = False
    """True when it takes extra keyword arguments (``**kwargs``, or ``kwargs`` in a macro)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Default config (``@generic_test(severity="warn")``), below each declaration's."""

    def accepts(self, argument: str) -> bool:
        """True when the test takes ``argument``."""
        return self.any_argument or argument in self.required or argument in self.optional


def _builtin(name: str) -> TestDefinition:
    return TestDefinition(
        name, "sql", "", 0, BUILTIN_TESTS[name], ("column_name", *BUILTIN_OPTIONAL.get(name, ()))
    )


@dataclass(frozen=True)
class Target:
    """What a declaration tests: a model/seed/snapshot (``ref``) or a source table."""

    kind: str  # "ref" or "source"
    name: str
    table: str | None = None

    @property
    def key(self) -> str:
        """The key under which the graph maps this dependency; also its name in messages."""
        return f"{self.name}.{self.table}" if self.kind == "source" else self.name

    @property
    def label(self) -> str:
        """Used in generated test names."""
        return f"source_{self.name}_{self.table}" if self.kind == "source" else self.name

    @property
    def resource(self) -> str:
        """What error messages call it: ``model`` (or seed, snapshot) or ``source``."""
        return "source" if self.kind == "source" else "model"

    def ref(self, line: int) -> DependencyRef:
        """The dependency on the tested node."""
        kind = "source" if self.kind == "source" else "ref"
        return DependencyRef(self.name, line, kind, self.table)  # type: ignore[arg-type]


MAX_GENERATED_NAME = 120
"""Generated test names longer than this end in a hash of the full name instead."""


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
                f"a test mapping has exactly one key (the test name), got {sorted(map(str, entry))}; "
                "use {name: ..., test_name: ...} to name a test"
            )
        test, body = next(iter(entry.items()))
        if not isinstance(body or {}, Mapping):
            raise ValueError(
                f"the arguments of test '{test}' must be a mapping (key: value lines), not {body!r}"
            )
        body = dict(body or {})
        custom = body.pop("name", None)
    if not isinstance(test, str):
        raise ValueError(f"a test name is text, not {test!r}")
    if isinstance(custom, Mapping | list):
        raise ValueError(f"a test's `name:` is text, not {custom!r}")
    for part in ("arguments", "config"):
        if not isinstance(body.get(part) or {}, Mapping):
            raise ValueError(f"`{part}:` of test '{test}' must be a mapping, not {body[part]!r}")
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
    definitions: Mapping[str, TestDefinition] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> TestNode:
    """Build one test node; raise ProjectError naming file:line and a fix.

    ``definitions`` holds the project's custom generic tests (Jinja and Python), whose signatures
    decide which arguments are required and which are unknown. ``defaults`` is the config the
    project file's ``tests:``/``data_tests:`` trees give the test (the lowest layer).
    """
    defs = definitions or {}
    try:
        test, custom, args, config = split_entry(entry)
    except ValueError as exc:
        raise _declaration_error(
            target,
            path,
            line,
            f"cannot read the test declaration: {exc}",
            hint="write `- unique` or `- accepted_values: {values: [a, b]}`",
            code="invalid-test",
        ) from None
    if not known(test):
        raise _declaration_error(
            target,
            path,
            line,
            f"unknown test '{test}'",
            suggestions=closest(test, [*BUILTIN_TESTS, *defs]),
            hint="use a built-in test (" + ", ".join(BUILTIN_TESTS) + ") or define a custom "
            "generic test ({% test name(model, column_name) %} in macros/ or tests/generic/, "
            "or @generic_test in Python)",
            code="unknown-test",
        )
    definition = _builtin(test) if test in BUILTIN_TESTS else defs.get(test)
    if column is not None:
        args.setdefault("column_name", column)
    if definition is not None:
        _check_arguments(definition, args, column, target, path, line)
        config = {**definition.config, **config}
    if defaults:
        config = merge_layers([dict(defaults), config])
    for required in definition.required if definition is not None else ():
        if required not in args:
            raise _declaration_error(
                target,
                path,
                line,
                f"test '{test}' needs the argument '{required}'",
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
        raise _declaration_error(
            target,
            path,
            line,
            f"invalid test config '{key}': {str(first['msg']).removeprefix('Value error, ')}",
            suggestions=closest(key, config_keys(TestConfig)) if first["type"] == "extra_forbidden" else (),
            hint=config_hint(key),
            code="invalid-test",
        ) from None
    if test == "accepted_range" and "min_value" not in args and "max_value" not in args:
        raise _declaration_error(
            target,
            path,
            line,
            "test 'accepted_range' needs 'min_value', 'max_value' or both",
            hint="add `min_value: 0` and/or `max_value: 100` under the test",
            code="invalid-test",
        )
    if test in MONITOR_TESTS:
        try:
            check_arguments(test, args)
        except ValueError as exc:
            raise _declaration_error(
                target, path, line, f"monitor '{test}': {exc}", hint=MONITOR_HINT, code="invalid-test"
            ) from None
    refs = [target.ref(line)]
    ref_args: dict[str, str] = {}
    for arg, value in args.items():
        if arg == "column_name" or not isinstance(value, str) or (test in BUILTIN_TESTS and arg != "to"):
            continue
        if test == "relationships" or "(" in value:
            other = parse_ref(value)
            if other is None and test == "relationships":
                raise _declaration_error(
                    target,
                    path,
                    line,
                    f"relationships 'to: {value}' is not ref('name') or source('source', 'table')",
                    hint="write `to: ref('customers')`",
                    code="invalid-test",
                )
            if other is not None:
                other = DependencyRef(other.name, line, other.kind, other.source_table)
                refs.append(other)
                ref_args[arg] = f"{other.name}.{other.source_table}" if other.kind == "source" else other.name
    id_hash = ""
    if test in MONITOR_TESTS:  # pyflow's own: named as before
        extra = {k: v for k, v in args.items() if k != "column_name"}
        name = custom or _slug("_".join(p for p in (test, target.label, column or "") if p))
        if extra and not custom:
            name += (
                "_" + hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode()).hexdigest()[:8]
            )
        if not custom and len(name) > MAX_GENERATED_NAME:  # long model and column names: shorten
            name = name[: MAX_GENERATED_NAME - 9] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    else:  # dbt's name and unique id
        source = target.kind == "source"
        name = custom or generic_test_name(
            test, f"{target.name}_{target.table}" if source else target.name, args, source=source
        )
        id_hash = generic_test_id_hash(
            name, test, args, model_argument(target.name, target.table if source else None)
        )
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
        language=definition.language if definition is not None else "sql",
        ref_args=ref_args,
        id_hash=id_hash,
        description=cfg.description or "",
        checksum=hashlib.sha256(
            json.dumps([test, args, config], sort_keys=True, default=str).encode()
        ).hexdigest(),
    )


def _check_arguments(
    definition: TestDefinition,
    args: Mapping[str, Any],
    column: str | None,
    target: Target,
    path: str,
    line: int,
) -> None:
    """Reject arguments the test does not take (a misspelt config key often lands here)."""
    for arg in args:
        if definition.accepts(arg):
            continue
        if arg == "column_name" and column is not None:
            raise _declaration_error(
                target,
                path,
                line,
                f"test '{definition.name}' takes no column_name, but is declared under column '{column}'",
                hint=f"declare it under the {'source table' if target.kind == 'source' else 'model'}'s "
                f"data_tests, or give the test a column_name parameter ({definition.path}:{definition.line})"
                if definition.path
                else "declare it under the model's data_tests instead of a column's",
                code="invalid-test",
            )
        takes = [a for a in (*definition.required, *definition.optional) if a != "column_name"]
        raise _declaration_error(
            target,
            path,
            line,
            f"test '{definition.name}' has no argument '{arg}'",
            suggestions=closest(arg, [*takes, *config_keys(TestConfig)]),
            hint=(f"its arguments are: {', '.join(takes)}" if takes else "it takes no arguments")
            + "; test config goes under `config:` ("
            + ", ".join(config_keys(TestConfig))
            + ")",
            code="invalid-test",
        )


def _declaration_error(
    target: Target,
    path: str,
    line: int,
    message: str,
    *,
    hint: str,
    code: str,
    suggestions: Sequence[str] = (),
) -> ProjectError:
    """A ProjectError about a test declared on ``target`` at ``path:line``."""
    return ProjectError(
        message,
        model=target.key,
        resource=target.resource,
        path=path,
        line=line,
        suggestions=suggestions,
        hint=hint,
        code=code,
    )


def config_hint(key: str) -> str:
    """The fix for an invalid test config value under ``key``."""
    if key in ("warn_if", "error_if"):
        return f'write {key} as an operator and a number, e.g. `{key}: ">= 10"` (quoted in YAML)'
    if key == "severity":
        return "write `severity: error` or `severity: warn`"
    return "valid test config keys: " + ", ".join(config_keys(TestConfig))


def column_entries(columns: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(column, entry)`` for every test declared under YAML columns."""
    out: list[tuple[str, Any]] = []
    for col in columns:
        for entry in [*col.tests, *col.data_tests]:
            out.append((col.name, entry))
    return out
