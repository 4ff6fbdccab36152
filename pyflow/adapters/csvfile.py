"""Strict CSV reading: the one way pyflow reads a seed, and how it explains a bad CSV file source.

A CSV is read as UTF-8 (a BOM is allowed) with a header line, the configured delimiter and
double quotes (a quote inside a quoted value is doubled; a quoted value may span lines); any
line ending. Every record must have as many fields as the header: a record with more or fewer,
a quote that is never closed or text after a closing quote is an error naming the file, the
line the record starts on, the expected and found counts and the fix. Blank lines are skipped,
except in a one-column file, where a blank line could be an empty value or nothing: there it is
an error too. Nothing is guessed: :data:`DUCKDB_CSV_OPTIONS` pins DuckDB's ``read_csv`` to the
same dialect, so the table DuckDB loads has exactly the records counted here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyflow.errors import AdapterError

DUCKDB_CSV_OPTIONS = (
    "header = true",
    "quote = '\"'",
    "escape = '\"'",
    "skip = 0",
    "comment = ''",
    "strict_mode = true",
    "null_padding = false",
    "ignore_errors = false",
)
"""``read_csv`` options that leave DuckDB's sniffer only the column types to detect (with
``delim``): no guessed header, skipped lines, padded or dropped rows."""


@dataclass(frozen=True)
class CsvProblem:
    """Why a CSV cannot be read: the message, the line it starts on and the fix."""

    message: str
    line: int | None
    hint: str


class CsvInvalid(Exception):
    """Raised by :func:`records` with the :class:`CsvProblem`; callers turn it into their error."""

    def __init__(self, problem: CsvProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The header (line 1), then each data record with the line it starts on.

    Raises :class:`CsvInvalid` on the first record that breaks the rules of the module docstring.
    """
    shown = repr(delimiter) if delimiter != "\t" else "tab"
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
            end = 0  # the last physical line read so far
            header: list[str] | None = None
            while True:
                start = end + 1
                try:
                    record = next(reader, None)
                except csv.Error as exc:
                    raise CsvInvalid(
                        CsvProblem(
                            f"line {start} cannot be parsed: {exc} (a quote opened on this line is "
                            "not closed, or text follows a closing quote)",
                            start,
                            'close the quote; inside a quoted value write a quote as two ("")',
                        )
                    ) from None
                if record is None:
                    break
                end = reader.line_num
                if header is None:
                    if not record:
                        raise CsvInvalid(
                            CsvProblem(
                                "the CSV has no header row",
                                1,
                                "start the file with a header line naming the columns",
                            )
                        )
                    header = record
                    yield start, record
                    continue
                if not record:
                    if len(header) == 1:
                        raise CsvInvalid(
                            CsvProblem(
                                f"line {start} is blank, which in a one-column CSV could be an empty "
                                "value or nothing",
                                start,
                                'write "" for an empty value, or delete the blank line',
                            )
                        )
                    continue
                if len(record) != len(header):
                    raise CsvInvalid(
                        CsvProblem(
                            f"line {start} has {_plural(len(record), 'field')}, expected "
                            f"{len(header)} (one per header column)",
                            start,
                            f"give line {start} exactly {len(header)} values separated by {shown}; "
                            f'quote a value that contains {shown} or a line break ("a{delimiter}b")',
                        )
                    )
                yield start, record
            if header is None:
                raise CsvInvalid(
                    CsvProblem(
                        "the CSV has no header row", 1, "start the file with a header line naming the columns"
                    )
                )
    except UnicodeDecodeError as exc:
        raise CsvInvalid(
            CsvProblem(
                f"the file cannot be read: it is not UTF-8 text ({exc})",
                None,
                "save the CSV as UTF-8",
            )
        ) from None


def read(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    """The header and every data record of a CSV, read strictly (:func:`records`)."""
    it = records(path, delimiter)
    _, header = next(it)
    return header, [record for _, record in it]


def count(path: Path, delimiter: str) -> int:
    """The number of data records of a CSV, read strictly (:func:`records`)."""
    return sum(1 for _ in records(path, delimiter)) - 1


def problem(path: Path, delimiter: str) -> CsvProblem | None:
    """The first problem of a local CSV file, or None when it reads (or cannot be opened)."""
    try:
        for _ in records(path, delimiter):
            pass
    except CsvInvalid as exc:
        return exc.problem
    except OSError:
        return None
    return None


def error(
    path: Path | str,
    found: CsvProblem,
    *,
    code: str,
    outcome: str = "nothing was loaded",
    model: str | None = None,
    resource: str = "model",
) -> AdapterError:
    """``found`` as an AdapterError located at ``path`` (as the user should read it), line included."""
    return AdapterError(
        f"{found.message}; {outcome}",
        path=str(path),
        line=found.line,
        model=model,
        resource=resource,
        hint=found.hint,
        code=code,
    )
