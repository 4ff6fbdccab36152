{{ config(materialized='table') }}

select
    user_id,
    {%- for kind in var('event_kinds') %}
    count(*) filter (where kind = '{{ kind }}') as {{ kind }}s{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('events_merged') }}
group by user_id
