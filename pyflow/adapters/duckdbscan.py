"""DuckDB's SQL reading files: external sources and locations by format, and seeds' CSV files."""

from __future__ import annotations

from pathlib import Path

from pyflow.adapters import csvfile, seedtype

_FILE_READERS = {
    ".parquet": "read_parquet",
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".json": "read_json",
    ".jsonl": "read_json",
    ".ndjson": "read_json",
}
_FORMAT_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_csv(
    location: str, delimiter: str, column_types: dict[str, str] | None = None, nulls: bool = False
) -> str:
    """``read_csv(...)`` pinned to pyflow's one CSV dialect (:mod:`pyflow.adapters.csvfile`)."""
    opts = [f"delim = {_literal(delimiter)}", *csvfile.DUCKDB_CSV_OPTIONS]
    if nulls:  # a seed's: dbt's NULL values
        opts.append(f"nullstr = [{', '.join(map(_literal, seedtype.NULL_STRINGS))}]")
    if column_types:
        pairs = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in column_types.items())
        opts.append(f"types = {{{pairs}}}")
    return f"read_csv({_literal(location)}, {', '.join(opts)})"


def file_scan_sql(location: str, file_format: str | None = None) -> str:
    """The table function reading a file (or glob) by its format, else its suffix (Parquet by default)."""
    reader = _FORMAT_READERS.get((file_format or "").lower())
    suffix = Path(location.rstrip("*/")).suffix.lower() or Path(location).suffix.lower()
    if reader is None:
        reader = _FILE_READERS.get(suffix, "read_parquet")
    if reader == "read_csv":  # strict: a header, the suffix's delimiter, no guessing
        return _read_csv(location, "\t" if suffix == ".tsv" else ",")
    return f"{reader}({_literal(location)})"


def csv_scan_sql(path: Path, column_types: dict[str, str], delimiter: str) -> str:
    """A seed's CSV with dbt-duckdb's column types, ``column_types`` overriding them."""
    types = seedtype.column_types_for(path, delimiter, column_types)  # dbt-duckdb's types
    return f"SELECT * FROM {_read_csv(str(path), delimiter, types, nulls=True)}"
