"""SQL of dbt's model constraints: ``CREATE TABLE`` with the contract's columns and constraints.

A model whose contract is enforced and that declares ``constraints:`` is created empty with its
declared columns, types and the constraints the engine enforces, then filled by ``INSERT ...
SELECT`` from the model's query, so a row breaking a constraint fails the insert (and the build).
``capabilities.constraints`` names the constraint types an engine enforces this way (DuckDB:
``not_null``, ``unique``, ``primary_key``, ``check``, ``custom``; Trino: ``not_null``); the
runner (:mod:`pyflow.runner.constraints`) leaves the others out and says so.

The statements are the SQL standard's; an engine with another spelling overrides nothing here
yet (none needs to).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.relation import Relation

CONSTRAINT_TYPES = ("not_null", "unique", "primary_key", "foreign_key", "check", "custom")
"""dbt's constraint types."""


@dataclass(frozen=True)
class ContractColumn:
    """A declared column: its name, type and the constraints to write on it."""

    name: str
    data_type: str
    constraints: tuple[Mapping[str, Any], ...] = ()


def _named(constraint: Mapping[str, Any], body: str) -> str:
    name = constraint.get("name")
    return f"CONSTRAINT {name} {body}" if name else body


def _columns(adapter: Adapter, names: Sequence[str]) -> str:
    return ", ".join(adapter.quote(n) for n in names)


def column_constraint_sql(adapter: Adapter, constraint: Mapping[str, Any]) -> str:
    """One column constraint as it follows the column's type (``NOT NULL``, ``CHECK (x > 0)`` ...)."""
    kind = constraint["type"]
    if kind == "not_null":
        return "NOT NULL"
    if kind == "unique":
        return _named(constraint, "UNIQUE")
    if kind == "primary_key":
        return _named(constraint, "PRIMARY KEY")
    if kind == "check":
        return _named(constraint, f"CHECK ({constraint['expression']})")
    if kind == "foreign_key":
        to = constraint.get("to_relation")
        target = f"{to} ({_columns(adapter, constraint.get('to_columns') or [])})" if to else ""
        return _named(constraint, f"REFERENCES {target or constraint['expression']}")
    return str(constraint["expression"])  # custom


def model_constraint_sql(adapter: Adapter, constraint: Mapping[str, Any]) -> str:
    """One table constraint (``PRIMARY KEY ("a", "b")``, ``CHECK (...)`` ...)."""
    kind = constraint["type"]
    columns = _columns(adapter, constraint.get("columns") or [])
    if kind == "primary_key":
        return _named(constraint, f"PRIMARY KEY ({columns})")
    if kind == "unique":
        return _named(constraint, f"UNIQUE ({columns})")
    if kind == "check":
        return _named(constraint, f"CHECK ({constraint['expression']})")
    if kind == "foreign_key":
        to = constraint.get("to_relation")
        target = f"{to} ({_columns(adapter, constraint.get('to_columns') or [])})" if to else ""
        return _named(constraint, f"FOREIGN KEY ({columns}) REFERENCES {target or constraint['expression']}")
    return str(constraint["expression"])  # custom


def create_constrained_table_sql(
    adapter: Adapter,
    relation: Relation,
    columns: Sequence[ContractColumn],
    table_constraints: Sequence[Mapping[str, Any]],
) -> str:
    """``CREATE TABLE relation (column type constraints ..., table constraints ...)``."""
    lines = [
        " ".join(
            [adapter.quote(c.name), c.data_type, *(column_constraint_sql(adapter, k) for k in c.constraints)]
        )
        for c in columns
    ]
    lines += [model_constraint_sql(adapter, k) for k in table_constraints]
    body = ",\n    ".join(lines)
    return f"CREATE TABLE {adapter.render(relation)} (\n    {body}\n)"


def insert_contract_sql(adapter: Adapter, relation: Relation, columns: Sequence[str], select: str) -> str:
    """``INSERT INTO relation (columns) SELECT columns FROM (select)``: the declared columns, in order."""
    names = _columns(adapter, columns)
    return (
        f"INSERT INTO {adapter.render(relation)} ({names})\n"
        f"SELECT {names} FROM (\n{select}\n) AS pyflow_contract"
    )
