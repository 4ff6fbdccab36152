"""What DuckDB's errors mean for the user: the CSV line it refused, the disk that is full.

Used by :class:`pyflow.adapters.duckdb.DuckDBAdapter` to turn a driver error into an
:class:`~pyflow.errors.AdapterError` that names the file (and line) and what to do.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

from pyflow.adapters import csvfile
from pyflow.errors import AdapterError

_CSV_FILE = re.compile(r'Error when sniffing file "([^"]+)"|^\s*file = (.+)$', re.MULTILINE)
"""The file a DuckDB CSV error names (a sniffing error, or a line error's ``file =``)."""
_READ_CSV = re.compile(r"read_csv\('((?:[^']|'')*)', delim = '((?:[^']|'')*)'")


def _scans(sql: str) -> Iterator[tuple[str, str]]:
    """The (location, delimiter) of every pinned ``read_csv`` in ``sql``."""
    for m in _READ_CSV.finditer(sql):
        yield m[1].replace("''", "'"), m[2].replace("''", "'")


def csv_error(exc: BaseException, sql: str, model: str | None) -> AdapterError | None:
    """The error naming the bad line of a CSV file ``sql`` read and DuckDB refused, else None."""
    named = _CSV_FILE.search(str(exc))
    if named is None:
        return None
    file = named[1] or named[2].strip()
    for scanned, delimiter in _scans(sql):
        if scanned == file or fnmatch.fnmatchcase(file, scanned):  # a glob's file too
            found = csvfile.problem(Path(file), delimiter)
            if found is not None:
                return csvfile.error(
                    file, found, code="csv-invalid", outcome="nothing was written", model=model
                )
    return None


_DEPTH = "Max expression depth limit"


def hint_for(exc: BaseException) -> str | None:
    """The fix for a DuckDB limit a project can run into without an error in its SQL, else None.

    Expression depth: a view's query is inlined wherever it is read, so a chain of about 500
    views exceeds DuckDB's default ``max_expression_depth`` (1,000) with each model's SQL fine.
    """
    if _DEPTH in str(exc):
        return (
            "the model reads a chain of views nested deeper than DuckDB allows (each view is "
            "expanded into the query reading it): materialize part of the chain as tables "
            "(`materialized: table` on some of its models), or raise the limit in the target's "
            "`settings:` in profiles.yml (`max_expression_depth: 5000`)"
        )
    return None


def disk_full_error(exc: BaseException, model: str | None, database_path: str) -> AdapterError:
    """``no space left on device while writing <file>``: the database file or its WAL."""
    named = re.search(r'Could not write file "([^"]+)"', str(exc))
    file = named[1] if named else database_path
    rolled_back = "; the model's previous table is unchanged: its build was rolled back"
    return AdapterError(
        f"no space left on device while writing {file}",
        model=model,
        hint=f"free space on the disk holding {Path(file).parent} (or point `path:` of the target "
        f"in profiles.yml at a disk with room), then run again{rolled_back if model else ''}",
        code="disk-full",
    )
