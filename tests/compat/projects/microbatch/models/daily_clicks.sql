{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='click_day',
    begin='2024-06-01',
    batch_size='day',
    lookback=1
) }}

select
    cast(clicked_at as date) as click_day,
    page,
    count(*) as clicks
from {{ ref('raw_clicks') }}
group by all
