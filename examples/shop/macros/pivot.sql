{#-
  One `sum(case ...)` column per value: pivot_sum('status', ['completed', 'shipped'], 'amount')
  gives `completed_amount` and `shipped_amount`, the sums of `amount` where status matches.
-#}
{% macro pivot_sum(column, values, then_value) -%}
{% for v in values -%}
sum(case when {{ column }} = '{{ v }}' then {{ then_value }} else 0 end) as {{ v }}_amount
{%- if not loop.last %},
    {% endif %}
{%- endfor %}
{%- endmacro %}
