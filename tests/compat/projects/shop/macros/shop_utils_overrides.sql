{#- The project overrides one of the package's dispatched implementations (dispatch: search_order). -#}
{% macro duckdb__safe_divide(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null else round({{ numerator }} / {{ denominator }}, 4) end
{%- endmacro %}
