-- One row per customer who ordered in the reporting window:
-- order counts, lifetime value in dollars, first and last order day.
-- Lifetime value counts completed orders only (shipped, returned, cancelled and pending do not).
select
    customer_id,
    count(*) as order_count,
    count(case when status = 'completed' then 1 end) as completed_orders,
    round(cast(sum(case when status = 'completed' then total_amount_cents else 0 end) as double) / 100, 2) as lifetime_value,
    cast(min(order_date) as date) as first_order_date,
    cast(max(order_date) as date) as last_order_date
from "awsdatacatalog"."analytics"."stg_orders"
group by customer_id
