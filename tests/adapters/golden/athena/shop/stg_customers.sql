-- Customers, cleaned: names trimmed and capitalised ('  aLICE ' -> 'Alice'), emails lower-cased.
with source as (
    select * from "awsdatacatalog"."raw_shop"."customers"
)

select
    customer_id,
    upper(substr(trim(first_name), 1, 1)) || lower(substr(trim(first_name), 2)) as first_name,
    upper(substr(trim(last_name), 1, 1)) || lower(substr(trim(last_name), 2)) as last_name,
    lower(trim(email)) as email,
    upper(trim(country_code)) as country_code,
    signup_date,
    updated_at
from source
