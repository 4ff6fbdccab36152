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
