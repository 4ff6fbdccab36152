"""``pyflow init``: a new project that builds as is (a seed, a SQL model, a Python model)."""

from __future__ import annotations

import re
from pathlib import Path

from pyflow.errors import ProjectError

FILES: dict[str, str] = {
    "pyflow.yml": """\
name: {name}
vars:
  min_amount: 0
models:
  staging:
    +materialized: view
  marts:
    +materialized: table
""",
    ".gitignore": "target/\nlogs/\n*.duckdb\n*.duckdb.wal\n",
    "seeds/raw_payments.csv": """\
payment_id,order_id,method,amount_cents,paid_at
1,100,card,1250,2024-01-03 10:00:00
2,101,bank_transfer,3000,2024-01-04 11:30:00
3,102,card,999,2024-01-04 12:00:00
4,103,voucher,500,2024-01-05 09:15:00
""",
    "macros/cents_to_dollars.sql": """\
{% macro cents_to_dollars(column, scale=2) %}round({{ column }} / 100.0, {{ scale }}){% endmacro %}
""",
    "models/staging/stg_payments.sql": """\
select
    payment_id,
    order_id,
    lower(method) as method,
    {{ cents_to_dollars('amount_cents') }} as amount,
    paid_at
from {{ ref('raw_payments') }}
where amount_cents > {{ var('min_amount') | sql_literal }}
""",
    "models/marts/payments_by_method.py": '''\
"""A Python model: its parameter `stg_payments` is the SQL model of that name."""

import ibis

from pyflow import model


@model(materialized="table", columns={"method": "Payment method", "total": "Sum of amounts"})
def payments_by_method(stg_payments: ibis.Table) -> ibis.Table:
    """Total paid per payment method."""
    p = stg_payments
    return p.group_by("method").aggregate(payments=p.count(), total=p.amount.sum()).order_by("method")
''',
    "models/marts/schema.yml": """\
version: 2
models:
  - name: payments_by_method
    description: Total paid per payment method.
""",
    "README.md": """\
# {name}

A pyflow project. Build it on DuckDB (the file `pyflow.duckdb` in this folder):

    pyflow build --project-dir {name}
    pyflow show payments_by_method --project-dir {name}
""",
}


def scaffold(path: Path) -> Path:
    """Create the project folder ``path``; fail if it exists and is not empty."""
    name = path.name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ProjectError(
            f"'{name}' is not a valid project name",
            path=str(path),
            hint="use letters, digits and underscores, starting with a letter",
            code="invalid-project-name",
        )
    if path.exists() and any(path.iterdir()):
        raise ProjectError(
            f"{path} already exists and is not empty",
            path=str(path),
            hint="choose another name or remove the folder",
            code="project-exists",
        )
    for rel, text in FILES.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("{name}", name), encoding="utf-8")
    return path.resolve()
