select
    event_id,
    user_id,
    kind,
    cast(amount as decimal(10, 2)) as amount,
    cast(event_at as timestamp) as event_at,
    cast(event_at as date) as event_date,
    cast(loaded_at as timestamp) as loaded_at
from {{ ref('raw_events') }}
