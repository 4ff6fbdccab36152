select
    cast(date '2024-03-01' + to_days(cast(i as integer)) as date) as calendar_date,
    cast(i as integer) as day_number
from range(0, {{ var('calendar_days') }}) as t(i)
