{{ config(materialized='view') }}

select
    cal.calendar_date,
    count(o.order_id) as orders,
    coalesce(sum(o.amount), 0) as revenue
from {{ ref('shop_calendar') }} as cal
left join {{ ref('orders') }} as o
    on o.order_date = cal.calendar_date
    and o.amount * 100 >= {{ var('min_order_cents') }}
group by cal.calendar_date
