{{ config(unique_key='event_date', incremental_strategy='delete+insert') }}

select
    event_date,
    count(*) as purchases,
    sum(amount) as revenue
from {{ ref('stg_events') }}
where kind = 'purchase'
{% if is_incremental() %}
  and event_date >= (
      select max(event_date) - interval '{{ var("lookback_days") }} day' from {{ this }}
  )
{% endif %}
group by event_date
