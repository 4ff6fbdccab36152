-- Every payment's order exists, and totals agree between staging and the mart.
select p.order_id
from {{ ref('stg_payments') }} as p
left join {{ ref('orders') }} as o on p.order_id = o.order_id
group by p.order_id, o.amount
having o.amount is null or abs(sum(p.amount) - o.amount) > 0.001
