{{ config(unique_key='event_id', incremental_strategy='merge') }}

select event_id, user_id, kind, amount, event_at, loaded_at
from {{ ref('stg_events') }}
{% if is_incremental() %}
where loaded_at > (select max(loaded_at) from {{ this }})
{% endif %}
