"""dbt's cross-database macros (``dbt.dateadd``, ``dbt.type_string`` ...) as SQL for each engine.

dbt ships these macros in its global ``dbt`` namespace: a ``default__`` implementation in
dbt-core / dbt-adapters and overrides in each adapter package. Here each is a method: the
base class holds the standard-SQL version (dbt's ``default__``) and one small subclass per
engine lists only its differences, as the adapters do. Arguments are SQL expressions (text),
exactly what the Jinja macros receive; each method returns SQL text. No driver is imported.

Which class serves a target is looked up by the target ``type`` in :data:`CROSS_DB` (the
only place outside the engine modules that names engines).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyflow.errors import CompileError

NAMES: tuple[str, ...] = (
    "any_value",
    "bool_or",
    "cast",
    "cast_bool_to_text",
    "concat",
    "current_timestamp",
    "date_trunc",
    "dateadd",
    "datediff",
    "escape_single_quotes",
    "except",
    "hash",
    "intersect",
    "last_day",
    "length",
    "listagg",
    "position",
    "replace",
    "right",
    "safe_cast",
    "split_part",
    "string_literal",
    "type_bigint",
    "type_boolean",
    "type_float",
    "type_int",
    "type_numeric",
    "type_string",
    "type_timestamp",
)
"""Every macro of dbt's namespace these classes implement (``except`` is the method ``except_``)."""

DATEPARTS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")


def _part(datepart: Any) -> str:
    """A datepart as dbt passes it (``day`` or ``'day'``), checked and unquoted."""
    part = str(datepart).strip().strip("'\"").lower()
    if part not in DATEPARTS:
        raise CompileError(
            f"unknown datepart {datepart!r} in a dbt cross-database macro",
            hint="use one of: " + ", ".join(DATEPARTS),
            code="jinja-render",
        )
    return part


class CrossDbMacros:
    """dbt's default (``default__``) implementations, in standard SQL."""

    string_type: ClassVar[str] = "VARCHAR"
    timestamp_type: ClassVar[str] = "TIMESTAMP"
    float_type: ClassVar[str] = "FLOAT"

    def call(self, name: str, *args: Any, **kwargs: Any) -> str:
        """Run macro ``name`` (one of :data:`NAMES`)."""
        method = getattr(self, "except_" if name == "except" else name)
        return str(method(*args, **kwargs))

    # ---- types -------------------------------------------------------------------------
    def type_string(self) -> str:
        """The text type."""
        return self.string_type

    def type_timestamp(self) -> str:
        """The timestamp (without time zone) type."""
        return self.timestamp_type

    def type_int(self) -> str:
        """The 32-bit integer type."""
        return "INTEGER"

    def type_bigint(self) -> str:
        """The 64-bit integer type."""
        return "BIGINT"

    def type_float(self) -> str:
        """The floating-point type."""
        return self.float_type

    def type_numeric(self) -> str:
        """The default decimal type (dbt's)."""
        return "NUMERIC(28, 6)"

    def type_boolean(self) -> str:
        """The boolean type."""
        return "BOOLEAN"

    # ---- casts and strings ---------------------------------------------------------------
    def cast(self, field: Any, type: Any) -> str:
        """``CAST(field AS type)``."""
        return f"CAST({field} AS {type})"

    def safe_cast(self, field: Any, type: Any) -> str:
        """A cast that yields NULL instead of failing."""
        return f"TRY_CAST({field} AS {type})"

    def cast_bool_to_text(self, field: Any) -> str:
        """A boolean as ``'true'`` / ``'false'``."""
        return f"CAST({field} AS {self.type_string()})"

    def concat(self, fields: Any) -> str:
        """Concatenate the expressions ``fields``."""
        return f"concat({', '.join(str(f) for f in fields)})"

    def hash(self, field: Any) -> str:
        """The md5 of the value as text, in lowercase hex."""
        return f"md5(CAST({field} AS {self.type_string()}))"

    def escape_single_quotes(self, expression: Any) -> str:
        """Text with each ``'`` doubled, to sit inside a SQL string literal."""
        return str(expression).replace("'", "''")

    def string_literal(self, value: Any) -> str:
        """``value`` as a SQL string literal."""
        return "'" + self.escape_single_quotes(value) + "'"

    def length(self, expression: Any) -> str:
        """Number of characters."""
        return f"length({expression})"

    def position(self, substring_text: Any, string_text: Any) -> str:
        """1-based position of ``substring_text`` in ``string_text`` (0 when absent)."""
        return f"position({substring_text} IN {string_text})"

    def replace(self, field: Any, old_chars: Any, new_chars: Any) -> str:
        """Every ``old_chars`` replaced by ``new_chars``."""
        return f"replace({field}, {old_chars}, {new_chars})"

    def right(self, string_text: Any, length_expression: Any) -> str:
        """The last ``length_expression`` characters."""
        return f"right({string_text}, {length_expression})"

    def split_part(self, string_text: Any, delimiter_text: Any, part_number: Any) -> str:
        """Part ``part_number`` (1-based; negative counts from the end) of the split text."""
        return f"split_part({string_text}, {delimiter_text}, {part_number})"

    # ---- dates -------------------------------------------------------------------------
    def current_timestamp(self) -> str:
        """The current time."""
        return "current_timestamp"

    def date_trunc(self, datepart: Any, date: Any) -> str:
        """``date`` truncated to ``datepart``."""
        return f"date_trunc('{_part(datepart)}', {date})"

    def dateadd(self, datepart: Any, interval: Any, from_date_or_timestamp: Any) -> str:
        """``interval`` dateparts added to a date or timestamp."""
        return f"dateadd({_part(datepart)}, {interval}, {from_date_or_timestamp})"

    def datediff(self, first_date: Any, second_date: Any, datepart: Any) -> str:
        """Number of ``datepart`` boundaries crossed from ``first_date`` to ``second_date``."""
        return f"datediff({_part(datepart)}, {first_date}, {second_date})"

    def last_day(self, date: Any, datepart: Any) -> str:
        """The last day of the ``datepart`` (month, quarter, year) holding ``date``."""
        part = _part(datepart)
        start = self.date_trunc(part, date)
        return f"CAST({self.dateadd('day', '-1', self.dateadd(part, '1', start))} AS DATE)"

    # ---- aggregates and set operators ------------------------------------------------------
    def any_value(self, expression: Any) -> str:
        """Any one value of the group."""
        return f"any_value({expression})"

    def bool_or(self, expression: Any) -> str:
        """True when the expression is true for some row of the group."""
        return f"bool_or({expression})"

    def listagg(
        self, measure: Any, delimiter_text: Any = "','", order_by_clause: Any = None, limit_num: Any = None
    ) -> str:
        """The group's values joined by ``delimiter_text`` (a SQL string), ordered and limited."""
        order = f" {order_by_clause}" if order_by_clause else ""
        if limit_num is not None:
            return (
                f"array_to_string(array_slice(array_agg({measure}{order}), 1, {limit_num}), {delimiter_text})"
            )
        return f"string_agg({measure}, {delimiter_text}{order})"

    def except_(self) -> str:
        """The set-difference operator."""
        return "except"

    def intersect(self) -> str:
        """The set-intersection operator."""
        return "intersect"


class DuckDBMacros(CrossDbMacros):
    """dbt-duckdb's overrides."""

    def current_timestamp(self) -> str:  # noqa: D102
        return "now()"

    def dateadd(self, datepart: Any, interval: Any, from_date_or_timestamp: Any) -> str:  # noqa: D102
        return f"date_add({from_date_or_timestamp}, INTERVAL ({interval}) {_part(datepart)})"

    def datediff(self, first_date: Any, second_date: Any, datepart: Any) -> str:  # noqa: D102
        return (
            f"date_diff('{_part(datepart)}', CAST({first_date} AS TIMESTAMP), "
            f"CAST({second_date} AS TIMESTAMP))"
        )

    def split_part(self, string_text: Any, delimiter_text: Any, part_number: Any) -> str:  # noqa: D102
        return f"string_split({string_text}, {delimiter_text})[{part_number}]"

    def listagg(  # noqa: D102
        self, measure: Any, delimiter_text: Any = "','", order_by_clause: Any = None, limit_num: Any = None
    ) -> str:
        if limit_num is None:
            return super().listagg(measure, delimiter_text, order_by_clause)
        order = f" {order_by_clause}" if order_by_clause else ""
        return f"array_to_string(list_slice(list({measure}{order}), 1, {limit_num}), {delimiter_text})"


class TrinoMacros(CrossDbMacros):
    """dbt-trino's overrides (Trino SQL has no ``dateadd``/``datediff``/``right``)."""

    float_type = "DOUBLE"

    def type_numeric(self) -> str:  # noqa: D102
        return "DECIMAL(28, 6)"

    def current_timestamp(self) -> str:  # noqa: D102
        return "CAST(current_timestamp AS TIMESTAMP(6) WITH TIME ZONE)"

    def hash(self, field: Any) -> str:  # noqa: D102
        return f"lower(to_hex(md5(to_utf8(CAST({field} AS VARCHAR)))))"

    def dateadd(self, datepart: Any, interval: Any, from_date_or_timestamp: Any) -> str:  # noqa: D102
        return f"date_add('{_part(datepart)}', {interval}, {from_date_or_timestamp})"

    def datediff(self, first_date: Any, second_date: Any, datepart: Any) -> str:  # noqa: D102
        # Trino's date_diff counts whole units elapsed; dbt counts boundaries crossed, which is
        # the whole units between both values truncated to the datepart.
        part = _part(datepart)
        first = f"date_trunc('{part}', CAST({first_date} AS TIMESTAMP))"
        second = f"date_trunc('{part}', CAST({second_date} AS TIMESTAMP))"
        return f"date_diff('{part}', {first}, {second})"

    def right(self, string_text: Any, length_expression: Any) -> str:  # noqa: D102
        return (
            f"CASE WHEN ({length_expression}) = 0 THEN '' "
            f"ELSE substr({string_text}, -1 * ({length_expression})) END"
        )

    def split_part(self, string_text: Any, delimiter_text: Any, part_number: Any) -> str:  # noqa: D102
        # element_at counts negative positions from the end, as dbt's split_part does
        return f"element_at(split({string_text}, {delimiter_text}), {part_number})"

    def any_value(self, expression: Any) -> str:  # noqa: D102
        return f"arbitrary({expression})"

    def listagg(  # noqa: D102
        self, measure: Any, delimiter_text: Any = "','", order_by_clause: Any = None, limit_num: Any = None
    ) -> str:
        order = f" {order_by_clause}" if order_by_clause else ""
        values = f"array_agg({measure}{order})"
        if limit_num is not None:
            values = f"slice({values}, 1, {limit_num})"
        return f"array_join({values}, {delimiter_text})"


class AthenaMacros(TrinoMacros):
    """dbt-athena's differences from Trino: a timestamp without time zone (pyathena reads it)."""

    def current_timestamp(self) -> str:  # noqa: D102
        return "CAST(now() AS TIMESTAMP)"


CROSS_DB: dict[str, type[CrossDbMacros]] = {
    "duckdb": DuckDBMacros,
    "trino": TrinoMacros,
    "athena": AthenaMacros,
}
"""Target type -> its cross-database macros."""


def cross_db_macros(target_type: str) -> CrossDbMacros:
    """The cross-database macros of a target type (one of the adapters' types)."""
    return CROSS_DB[target_type]()
