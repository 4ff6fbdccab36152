{#- Convert an integer amount of cents to dollars (a DOUBLE), rounded to `scale` decimals.
    The cast comes first: divided by the literal 100.0, Trino keeps the scale of the literal
    (one decimal: dollars rounded to 10 cents), DuckDB does not. -#}
{% macro cents_to_dollars(column, scale=2) %}round(cast({{ column }} as double) / 100, {{ scale }}){% endmacro %}
