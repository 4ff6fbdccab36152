{%- set methods = var('payment_methods') -%}

with payments as (
    select
        order_id,
        {{ shop_utils.pivot_sum('payment_method', methods, 'amount', suffix='_amount') }},
        sum(amount) as total_amount
    from {{ ref('stg_payments') }}
    group by order_id
)

select
    o.order_id,
    o.customer_id,
    o.order_date,
    o.status,
    {%- for method in methods %}
    coalesce(p.{{ method }}_amount, 0) as {{ method }}_amount,
    {%- endfor %}
    coalesce(p.total_amount, 0) as amount
from {{ ref('stg_orders') }} as o
left join payments as p on o.order_id = p.order_id
