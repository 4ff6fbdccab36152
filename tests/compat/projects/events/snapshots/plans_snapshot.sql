{% snapshot plans_snapshot %}
{{ config(
    schema='snapshots',
    unique_key='user_id',
    strategy='timestamp',
    updated_at='updated_at',
    snapshot_meta_column_names={'dbt_valid_from': 'valid_from', 'dbt_valid_to': 'valid_to'}
) }}

select * from {{ ref('raw_users') }}
{% endsnapshot %}
