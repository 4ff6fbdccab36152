"""One statement per model: the guard that keeps a rendered value from adding SQL statements.

A SQL model, data test, snapshot or ``show --inline`` query renders to SQL that pyflow wraps
in its own DDL/DML, so it must be exactly one statement: a ``;`` followed by more SQL (for
example a ``var()`` value closing a string literal and adding ``; drop table ...``) is an
error. Statements are found with sqlglot's tokenizer for the target dialect, so semicolons
inside string literals, quoted names and comments do not count; one trailing ``;`` is allowed.
"""

from __future__ import annotations

from pyflow.errors import CompileError

FIX = (
    "a model is one SELECT; quote values that land in SQL with the sql_literal filter "
    "({{ var('x') | sql_literal }}) or literal(), names with sql_identifier / identifier(); "
    "several statements: split them into separate models"
)


def statement_starts(sql: str, dialect: str) -> list[int]:
    """Where each statement of ``sql`` (in ``dialect``) starts: offsets of their first tokens.

    A trailing ``;`` starts no statement. Raises sqlglot's ``TokenError`` when the text cannot
    be tokenized (an unterminated string literal, quoted name or comment).
    """
    from sqlglot import Dialect, TokenType

    starts: list[int] = []
    in_statement = False
    for token in Dialect.get_or_raise(dialect).tokenize(sql):
        if token.token_type == TokenType.SEMICOLON:
            in_statement = False
        elif token.token_type != TokenType.HIVE_TOKEN_STREAM and not in_statement:
            in_statement = True
            starts.append(token.start)
    return starts


def count_statements(sql: str, dialect: str) -> int:
    """How many statements ``sql`` holds in ``dialect`` (see :func:`statement_starts`)."""
    return len(statement_starts(sql, dialect))


def check_one_statement(
    sql: str,
    dialect: str,
    *,
    model: str | None,
    path: str | None,
    line: int | None = None,
    resource: str = "model",
) -> None:
    """Raise a CompileError unless ``sql`` is exactly one statement in ``dialect``."""
    from sqlglot.errors import TokenError

    try:
        starts = statement_starts(sql, dialect)
    except TokenError as exc:
        raise CompileError(
            "pyflow cannot tell where the rendered SQL's statement ends (an unterminated "
            f"string literal, quoted name or comment?): {exc}",
            model=model,
            path=path,
            line=line,
            resource=resource,
            hint=FIX,
            code="multiple-statements",
        ) from None
    if len(starts) > 1:
        second = sql[starts[1] :].strip().splitlines()[0]
        raise CompileError(
            f"the SQL renders to {len(starts)} SQL statements; it must be exactly one "
            "(a value rendered into the SQL may have closed a string literal)",
            model=model,
            path=path,
            line=line,
            detail="the second statement starts: " + (second[:80] + " ..." if len(second) > 80 else second),
            resource=resource,
            hint=FIX,
            code="multiple-statements",
        )
