{#- Sum of a column per value of another, one output column per value. -#}
{% macro pivot_sum(column, values, then_value, prefix='', suffix='') -%}
  {%- for value in values %}
    sum(case when {{ column }} = '{{ value }}' then {{ then_value }} else 0 end)
      as {{ adapter.quote(prefix ~ value ~ suffix) }}
    {%- if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
  {{ return(adapter.dispatch('safe_divide', 'shop_utils')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
  ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro star_except(relation, except=[]) -%}
  {%- if not execute -%}{{ return('*') }}{%- endif -%}
  {%- set cols = adapter.get_columns_in_relation(relation) -%}
  {%- for col in cols if col.name | lower not in except | map('lower') | list %}
    {{ adapter.quote(col.name) }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}
