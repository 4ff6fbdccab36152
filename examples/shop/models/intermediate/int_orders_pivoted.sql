-- Dollars per customer per order status, one column per status (built by the pivot_sum macro).
{%- set statuses = ['completed', 'shipped', 'returned', 'cancelled', 'pending'] %}

select
    customer_id,
    {{ pivot_sum('status', statuses, 'amount_dollars') }},
    sum(amount_dollars) as total_amount
from {{ ref('stg_orders') }}
group by customer_id
