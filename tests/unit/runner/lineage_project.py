"""A fixture project mixing SQL and Python models for the column-lineage tests."""

from __future__ import annotations

FILES = {
    "pyflow.yml": "name: shop\n",
    "models/sources.yml": """
        sources:
          - name: raw
            tables:
              - name: orders
                columns:
                  - {name: id, data_type: integer}
                  - {name: customer_id, data_type: integer}
                  - {name: amount, data_type: integer}
                  - {name: status, data_type: varchar}
              - name: customers
                columns:
                  - {name: id, data_type: integer}
                  - {name: first_name, data_type: varchar}
                  - {name: last_name, data_type: varchar}
    """,
    "seeds/countries.csv": "code,country_name\nfr,France\nde,Germany\n",
    "models/stg_orders.py": """
        import ibis
        from pyflow import model


        @model
        def stg_orders(raw__orders: ibis.Table) -> ibis.Table:
            o = raw__orders
            return o.select(
                order_id=o.id,
                customer_id=o.customer_id,
                amount_dollars=o.amount / 100,
                status=o.status,
            )
    """,
    "models/stg_customers.sql": """
        select id as customer_id, first_name || ' ' || last_name as full_name, 'x' as const
        from {{ source('raw', 'customers') }}
    """,
    "models/eph_completed.sql": """
        {{ config(materialized='ephemeral') }}
        select * from {{ ref('stg_orders') }} where status = 'completed'
    """,
    "models/customer_totals.sql": """
        with totals as (
            select customer_id, sum(amount_dollars) as total, count(*) as n_orders
            from {{ ref('eph_completed') }}
            group by customer_id
        )
        select c.customer_id, c.full_name as name, t.total, t.n_orders, 1 as one
        from {{ ref('stg_customers') }} as c
        left join totals as t on t.customer_id = c.customer_id
    """,
    "models/all_countries.sql": "select * from {{ ref('countries') }}\n",
    "models/big_customers.py": """
        import ibis
        from pyflow import model


        @model
        def big_customers(customer_totals: ibis.Table, all_countries: ibis.Table) -> ibis.Table:
            t = customer_totals
            joined = t.cross_join(all_countries)
            return joined.filter(joined.total > 100).select(
                "customer_id", "name", doubled=joined.total * 2, country=joined.country_name
            )
    """,
}
