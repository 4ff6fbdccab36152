with orders as (
    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(*) as number_of_orders,
        sum(amount) as lifetime_value
    from {{ ref('orders') }}
    group by customer_id
)

select
    c.customer_id,
    c.full_name,
    o.first_order,
    o.most_recent_order,
    coalesce(o.number_of_orders, 0) as number_of_orders,
    o.lifetime_value,
    {{ shop_utils.safe_divide('o.lifetime_value', 'o.number_of_orders') }} as average_order_value
from {{ ref('stg_customers') }} as c
left join orders as o on c.customer_id = o.customer_id
