{{ config(incremental_strategy='append') }}

{#- append only what is newer than the newest row already loaded -#}
select
    event_id,
    kind,
    {% if is_incremental() %}'incremental'{% else %}'initial'{% endif %} as loaded_by
from {{ ref('stg_events') }}
{% if is_incremental() %}
where event_id > (select coalesce(max(event_id), 0) from {{ this }})
{% endif %}
