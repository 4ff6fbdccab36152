"""A small project with Python, SQL, incremental and Athena-dialect models, for unit-test tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

SOURCES = """
sources:
  - name: raw
    tables:
      - name: orders
        columns:
          - {name: id, data_type: BIGINT}
          - {name: customer_id, data_type: BIGINT}
          - {name: amount, data_type: DOUBLE}
          - {name: status, data_type: VARCHAR}
          - {name: ordered_at, data_type: TIMESTAMP}
      - name: events
        columns:
          - {name: id, data_type: BIGINT}
          - {name: day_text, data_type: VARCHAR}
          - {name: ts_text, data_type: VARCHAR}
          - {name: user_id, data_type: BIGINT}
"""

MODELS = {
    "models/sources.yml": SOURCES,
    "models/stg_orders.sql": """
        select id, customer_id, amount, lower(status) as status, ordered_at
        from {{ source('raw', 'orders') }}
        where ordered_at >= '{{ var("start", "1900-01-01") }}'
    """,
    "models/customer_totals.py": """
        import ibis

        from pyflow import model


        @model
        def customer_totals(stg_orders: ibis.Table) -> ibis.Table:
            o = stg_orders.filter(stg_orders.status == "completed")
            return o.group_by("customer_id").aggregate(orders=o.count(), total=o.amount.sum())
    """,
    "models/daily.py": """
        import ibis

        from pyflow import Context, model


        @model(materialized="incremental", unique_key="day")
        def daily(stg_orders: ibis.Table, ctx: Context) -> ibis.Table:
            o = stg_orders
            if ctx.is_incremental:
                o = o.filter(o.ordered_at.date() >= ctx.this.day.max())
            return o.group_by(day=o.ordered_at.date()).aggregate(orders=o.count())
    """,
    "models/status_counts.py": """
        import ibis
        import pandas as pd

        from pyflow import model


        @model
        def status_counts(stg_orders: ibis.Table) -> pd.DataFrame:
            df = stg_orders.to_pandas()
            return df.groupby("status", as_index=False).size().rename(columns={"size": "n"})
    """,
    "models/athena_days.sql": """
        {{ config(sql_dialect='athena') }}
        select date_parse(day_text, '%Y-%m-%d') as day,
               approx_distinct(user_id) as users,
               max(from_iso8601_timestamp(ts_text)) as last_seen
        from {{ source('raw', 'events') }}
        group by 1
    """,
    "models/athena_stem.sql": """
        {{ config(sql_dialect='athena') }}
        select word_stem(day_text) as stem from {{ source('raw', 'events') }}
    """,
    "models/athena_strpos.sql": """
        {{ config(sql_dialect='athena') }}
        select strpos(day_text, 'a', 2) as pos from {{ source('raw', 'events') }}
    """,
}

UnitProject = Callable[..., Path]


@pytest.fixture
def unit_project(make_project: Callable[..., Path]) -> UnitProject:
    """``unit_project(yaml_text, extra_files={...})`` -> a project with ``models/unit.yml``."""

    def build(unit_yaml: str = "", files: Mapping[str, str] | None = None) -> Path:
        return make_project({**MODELS, "models/unit.yml": unit_yaml, **(files or {})}, name="ut")

    return build
