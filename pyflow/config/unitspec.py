"""YAML unit tests as graph nodes: a ``unit_tests:`` entry becomes a ``TestNode(test_type="unit")``.

The node depends on the model under test (so ``--select model`` picks its unit tests) and keeps
the declaration as plain data in ``kwargs``: ``model``, ``given`` (each input's key, rows,
format and line), ``expect`` and ``overrides``. Running it is :mod:`pyflow.testing.unit`'s job.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from pyflow.config.properties import UnitTestProps
from pyflow.config.yamlfile import YamlDoc
from pyflow.core.node import DependencyRef, TestNode
from pyflow.core.nodeconfig import TestConfig
from pyflow.errors import ProjectError

THIS = "this"
"""The ``input:`` naming the model's existing table (for ``is_incremental`` tests)."""
MACRO_OVERRIDES = ("is_incremental",)


def input_key(text: str) -> str | None:
    """The harness key of an ``input:``: ``ref('x')`` -> ``x``, ``source('s', 't')`` -> ``s.t``.

    A bare name (``stg_orders``, ``ecommerce__orders``, ``ecommerce.orders``) and ``this`` are
    kept as written. None when the text is none of these.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(tree, ast.Name):
        return tree.id
    if isinstance(tree, ast.Attribute) and isinstance(tree.value, ast.Name):
        return f"{tree.value.id}.{tree.attr}"
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and not tree.keywords):
        return None
    args = [a.value for a in tree.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(args) != len(tree.args):
        return None
    if tree.func.id == "ref" and len(args) in (1, 2):
        return args[-1]
    if tree.func.id == "source" and len(args) == 2:
        return f"{args[0]}.{args[1]}"
    return None


def make_unit_test(props: UnitTestProps, doc: YamlDoc, loc: tuple[str | int, ...], package: str) -> TestNode:
    """Build the node of one ``unit_tests:`` entry; raise ProjectError naming file:line and a fix."""
    line = doc.line_of(loc) or 1

    def fail(message: str, where: tuple[str | int, ...], hint: str) -> ProjectError:
        return ProjectError(
            message,
            model=props.name,
            resource="unit test",
            path=doc.display,
            line=doc.line_of((*loc, *where)) or line,
            hint=hint,
            code="invalid-unit-test",
        )

    given: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for i, g in enumerate(props.given):
        key = input_key(g.input)
        if key is None:
            raise fail(
                f"input '{g.input}' is not ref('name'), source('source', 'table'), a name or 'this'",
                ("given", i, "input"),
                "write `input: ref('stg_orders')` or `input: source('shop', 'orders')`",
            )
        if key in seen:
            raise fail(
                f"input '{g.input}' is given twice (also as '{seen[key]}')",
                ("given", i, "input"),
                "give each input once, with all its rows",
            )
        seen[key] = g.input
        given.append(
            {
                "input": g.input,
                "key": key,
                "rows": g.rows,
                "format": g.format,
                "line": doc.line_of((*loc, "given", i)),
            }
        )
    unknown = sorted(set(props.overrides.macros) - set(MACRO_OVERRIDES))
    if unknown:
        raise fail(
            f"cannot override macro '{unknown[0]}'",
            ("overrides", "macros", unknown[0]),
            "only these macros can be overridden: " + ", ".join(MACRO_OVERRIDES),
        )
    incremental = props.overrides.macros.get("is_incremental", False)
    if not isinstance(incremental, bool):
        raise fail(
            f"overrides.macros.is_incremental must be true or false, not {incremental!r}",
            ("overrides", "macros", "is_incremental"),
            "write `is_incremental: true`",
        )
    if incremental and THIS not in seen:
        raise fail(
            "is_incremental is overridden to true but no `input: this` gives the existing table",
            ("overrides", "macros", "is_incremental"),
            "add `- input: this` with the rows of the model's table before the run",
        )
    cfg = props.config
    tags = (cfg.tags,) if isinstance(cfg.tags, str) else tuple(cfg.tags)
    config = TestConfig(
        enabled=cfg.enabled, tags=tags, meta=dict(cfg.meta), description=props.description or None
    )
    data = {
        "model": props.model,
        "given": given,
        "expect": {
            "rows": props.expect.rows,
            "format": props.expect.format,
            "line": doc.line_of((*loc, "expect")),
        },
        "overrides": {"vars": dict(props.overrides.vars), "is_incremental": incremental},
    }
    return TestNode(
        name=props.name,
        package=package,
        path=doc.display,
        line=line,
        config=config,
        refs=(DependencyRef(props.model, line, "ref"),),
        test_name=props.name,
        kwargs=data,
        attached=props.model,
        kind="singular",
        test_type="unit",
        description=props.description,
        checksum=hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest(),
    )
