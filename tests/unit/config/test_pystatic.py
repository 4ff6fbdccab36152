"""Tests for pyflow.config.pystatic: a module's definitions from its tree equal what importing it records."""

from __future__ import annotations

import itertools
import json
import sys
import textwrap
from pathlib import Path

import pytest

from pyflow.config.parsecache import import_module
from pyflow.config.pystatic import static_definitions
from pyflow.config.pythonloader import module_entries

REPO = Path(__file__).resolve().parents[3]
_names = itertools.count()

SURE = {
    "bare decorator": """
        from pyflow import model

        @model
        def orders(raw__orders):
            return raw__orders
        """,
    "literal config, docstring, lines": '''
        """Module docstring mentioning a model."""
        import ibis
        from pyflow import model  # the decorator

        LIMIT = 10

        @model(
            materialized="table",  # a comment
            tags=("daily", "finance"),
            columns={"id": {"data_tests": ["not_null"]}},
            unique_key=["id", "day"],
            batch_size=-1,
        )
        def orders(
            raw__orders: ibis.Table,
            customers,
            ctx,
        ) -> ibis.Table:
            """Orders.

                Indented detail, cleaned as inspect.getdoc cleans it.
            """
            return raw__orders.limit(LIMIT)


        def _helper(x):
            return x


        # a trailing comment
        ''',
    "two models, attribute decorator, snapshot": """
        import pyflow
        import pandas as pd
        from pyflow import snapshot as snap

        @pyflow.model(tags=["a"])
        def first(source__t) -> pd.DataFrame:
            return source__t.to_pandas()

        @snap(unique_key="id", strategy="check", check_cols="all")
        async def second(first):
            return first

        @pyflow.model
        def third(first, second):
            '''Doc.'''
            return first
        """,
    "postponed annotations": """
        from __future__ import annotations

        import ibis
        from pyflow import model

        @model
        def a(t: ibis.Table) -> pd.DataFrame:
            return t

        @model
        def b(t: ibis.Table) -> SomethingUnknown:
            return t
        """,
    "string annotation": """
        import ibis
        from pyflow import model

        @model
        def a(t) -> "pd.DataFrame":
            return t

        @model
        def b(t) -> "ibis.Table":
            return t
        """,
    "typed aliases": """
        import ibis.expr.types as ir
        import pyarrow as pa
        from pyflow import model

        @model
        def a(t) -> ir.Table:
            return t

        @model
        def b(t) -> pa.Table:
            return t
        """,
    "decorated helper names skipped": """
        from pyflow import model

        @model
        def _private(t):
            return t

        def undecorated(t):
            return t
        """,
}

UNSURE = {
    "another decorator": """
        import functools
        from pyflow import model

        @functools.cache
        @model
        def a(t):
            return t
        """,
    "computed config": """
        from pyflow import model

        TAGS = ["a"]

        @model(tags=TAGS)
        def a(t):
            return t
        """,
    "code at import": """
        from pyflow import model

        for i in range(2):
            pass

        @model
        def a(t):
            return t
        """,
    "a name bound twice": """
        from pyflow import model

        @model
        def a(t):
            return t

        @model
        def a(t, u):
            return t
        """,
    "decorator not from pyflow": """
        from mylib import model

        @model
        def a(t):
            return t
        """,
    "star import": """
        from pyflow import *

        @model
        def a(t):
            return t
        """,
    "varargs": """
        from pyflow import model

        @model
        def a(*tables):
            return tables[0]
        """,
    "evaluated unknown annotation": """
        from mylib import Frame
        from pyflow import model

        @model
        def a(t) -> Frame:
            return t
        """,
    "a class": """
        from pyflow import model

        class Thing:
            pass
        """,
    "does not parse": "from pyflow import model\n\n@model\ndef a(:\n",
    "alias of a model": """
        from pyflow import model

        @model
        def a(t):
            return t

        b = a
        """,
}


def _imported(tmp_path: Path, text: str) -> list[dict]:
    """What the loader records after importing ``text``, as the parse cache hands it back."""
    name = f"pystatic_case_{next(_names)}"
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    try:
        module = import_module(path, name, tmp_path)
        return json.loads(json.dumps(module_entries(module, name, text)))
    finally:
        sys.modules.pop(name, None)


@pytest.mark.parametrize("case", sorted(SURE))
def test_static_definitions_equal_what_importing_records(case, tmp_path):
    text = textwrap.dedent(SURE[case]).lstrip("\n")

    static = static_definitions(text)

    assert static is not None, case
    assert static == _imported(tmp_path, text)


@pytest.mark.parametrize("case", sorted(UNSURE))
def test_static_definitions_are_unsure_when_the_tree_cannot_tell(case):
    assert static_definitions(textwrap.dedent(UNSURE[case]).lstrip("\n")) is None


def _project_model_files() -> list[Path]:
    found = [
        p
        for base in ("examples", "tests/fixtures")
        for p in sorted((REPO / base).rglob("*.py"))
        if "/models/" in p.as_posix() or "/snapshots/" in p.as_posix()
    ]
    assert len(found) >= 5, "the corpus of project model files is missing"
    return found


def test_every_model_file_of_the_repo_reads_the_same_statically(tmp_path):
    sure = 0
    for path in _project_model_files():
        text = path.read_text()
        static = static_definitions(text)
        if static is None:
            continue
        sure += 1
        copy = tmp_path / f"case_{sure}"
        copy.mkdir()
        assert static == _imported(copy, text), path
    assert sure >= 3  # most real model files are plain enough to be read without importing


def test_generated_benchmark_models_read_the_same_statically(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import project_gen
    finally:
        sys.path.remove(str(REPO / "bench"))
    project_gen.generate(tmp_path / "p", 40)
    files = sorted((tmp_path / "p/models").rglob("*.py"))
    assert files
    for path in files:
        text = path.read_text()
        static = static_definitions(text)
        assert static is not None, path
        assert static == _imported(path.parent, text), path
