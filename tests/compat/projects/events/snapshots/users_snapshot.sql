{% snapshot users_snapshot %}
{{ config(unique_key='user_id', strategy='timestamp', updated_at='updated_at') }}

select user_id, email, plan, cast(updated_at as timestamp) as updated_at
from {{ ref('raw_users') }}
{% endsnapshot %}
