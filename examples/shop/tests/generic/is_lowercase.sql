{% test is_lowercase(model, column_name) %}
-- a custom generic test: values that change when lower-cased
select {{ column_name }}
from {{ model }}
where {{ column_name }} <> lower({{ column_name }})
{% endtest %}
