-- Dollars per customer per order status, one column per status (built by the pivot_sum macro).

select
    customer_id,
    sum(case when status = 'completed' then amount_dollars else 0 end) as completed_amount,
    sum(case when status = 'shipped' then amount_dollars else 0 end) as shipped_amount,
    sum(case when status = 'returned' then amount_dollars else 0 end) as returned_amount,
    sum(case when status = 'cancelled' then amount_dollars else 0 end) as cancelled_amount,
    sum(case when status = 'pending' then amount_dollars else 0 end) as pending_amount,
    sum(amount_dollars) as total_amount
from "hive"."analytics"."stg_orders"
group by customer_id
