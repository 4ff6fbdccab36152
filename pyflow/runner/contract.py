"""Model contracts (dbt's ``contract: {enforced: true}``): the columns a model returns, checked before it is built.

A model with an enforced contract must declare every column it returns, each with a
``data_type`` (YAML ``columns:`` or ``columns=``). Before the model's pre-hooks and build, its
compiled columns (known offline: Ibis for Python models, ``DESCRIBE`` over empty inputs for SQL)
are compared with the declared ones by name and type, ignoring order and nullability, so a
broken contract fails the model and leaves its target as it was. Constraints (``not_null``,
``primary_key`` ...) are applied by :mod:`pyflow.runner.constraints`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflow.core.node import ModelNode, Node
from pyflow.errors import MaterializationError

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler


def check_contract(compiler: ProjectCompiler, node: Node) -> None:
    """Raise ``contract-violation`` when ``node`` enforces a contract its columns break."""
    contract = getattr(node.config, "contract", None) if isinstance(node, ModelNode) else None
    if not isinstance(node, ModelNode) or contract is None or not contract.enforced:
        return  # snapshots (ModelNodes too) have no contract
    declared = {name.lower(): info for name, info in node.columns.items()}
    untyped = sorted(info.name for info in declared.values() if not info.data_type)
    if not declared or untyped:
        raise _violation(
            node,
            "its contract is enforced but "
            + ("it declares no columns" if not declared else f"columns {untyped} have no data_type"),
            "declare every column the model returns, each with a data_type, under `columns:` in its "
            "YAML properties (or in columns=)",
        )
    built = compiler.columns(node.unique_id)
    if built is None:
        raise _violation(
            node,
            "its contract is enforced but its columns cannot be known before it is built",
            "declare the columns' types (a DataFrame model), or turn the contract off",
        )
    returned = {name.lower(): dtype for name, dtype in built}
    rows = [f"{'column':<24} {'declared':<20} returned"]
    bad = False
    for key in sorted(declared.keys() | returned.keys()):
        info = declared.get(key)
        want = info.data_type if info is not None else None
        got = returned.get(key)
        name = info.name if info is not None else key
        if info is None or got is None or not _same_type(compiler, str(want), got):
            bad = True
            rows.append(f"{name:<24} {want or '(not declared)':<20} {got or '(not returned)'}")
    if bad:
        raise _violation(
            node,
            "the columns it returns do not match its enforced contract (nothing was built)",
            "change the model, or its declared columns and data_type, so they agree",
            detail="\n".join(rows),
        )


def _same_type(compiler: ProjectCompiler, declared: str, returned: str) -> bool:
    """True when the engine type ``declared`` and the Ibis dtype ``returned`` are one type."""
    import ibis

    try:
        want = ibis.dtype(compiler.adapter.type_to_ibis(declared)).copy(nullable=True)
        got = ibis.dtype(returned).copy(nullable=True)
    except Exception:  # a type Ibis cannot read: compare the names as written
        return declared.strip().lower() == returned.strip().lower()
    return bool(want == got)


def _violation(node: ModelNode, message: str, hint: str, detail: str | None = None) -> MaterializationError:
    return MaterializationError(
        message,
        model=node.name,
        path=node.path,
        line=node.line,
        detail=detail,
        hint=hint,
        code="contract-violation",
    )
