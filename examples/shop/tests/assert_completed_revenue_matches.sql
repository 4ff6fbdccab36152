-- a singular test: daily revenue must add up to the completed orders' amounts
with daily as (
    select sum(revenue) as revenue from {{ ref('fct_daily_sales') }}
),
orders as (
    select round(sum(amount_dollars), 2) as revenue
    from {{ ref('stg_orders') }}
    where status = 'completed'
)
select daily.revenue as daily_revenue, orders.revenue as orders_revenue
from daily, orders
where abs(daily.revenue - orders.revenue) > 0.01
