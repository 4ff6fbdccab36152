"""The definition index: AST and Jinja scans, and its cache keyed by content hash (pyflow.config.index)."""

from __future__ import annotations

import time

import jinja2
import pytest

from pyflow.config import sqlscan
from pyflow.config.index import IndexCache
from pyflow.config.pyscan import scan_python
from pyflow.config.sqlscan import scan_sql
from tests.unit.config.repofiles import repo_files


def test_scan_sql_finds_constant_refs_and_snapshot_blocks():
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    model = scan_sql(
        "models/x.sql", "select * from {{ ref('a') }} join {{ ref('pkg', 'b') }}", "sql", "x", env
    )

    assert model.sure
    assert [(e.name, e.refs) for e in model.entries] == [("x", ("a", "b"))]


@pytest.mark.parametrize(
    "text",
    [
        "{% for t in ['a', 'b'] %}select * from {{ ref(t) }}{% endfor %}",
        "{% set r = ref %}select * from {{ r('a') }}",
        "{% include 'other.sql' %}",
        "select * from {{ ref('a' ~ suffix) }}",
        "select * from {{ source('only_one') }}",
        "{% from 'm.sql' import x %}select 1",
        "select * from {{ ref('a\\'b') }}",
    ],
    ids=[
        "ref-in-loop",
        "ref-passed-around",
        "include",
        "concatenated",
        "source-one-arg",
        "from-import",
        "escape",
    ],
)
def test_scan_sql_is_unsure_of_computed_refs(text):
    assert not scan_sql("models/x.sql", text, "sql", "x", jinja2.Environment()).sure


def test_index_cache_trusts_an_unchanged_file_only_once_its_mtime_is_old(tmp_path):
    cache = IndexCache(tmp_path / "index.json")
    found = scan_python("models/m.py", "from pyflow import model\n@model\ndef a(b):\n    return b\n")
    old = [time.time_ns() - 60 * 10**9, 42]
    recent = [time.time_ns(), 42]

    cache.put(found, "sha-1", old)
    cache.remember("models/n.py", "sha-2", recent)
    cache.save()
    again = IndexCache(tmp_path / "index.json")

    assert again.known_sha("models/m.py", old) == "sha-1"
    assert again.known_sha("models/m.py", [old[0] + 1, 42]) is None  # touched since: read it again
    assert again.known_sha("models/n.py", recent) is None  # too recent to tell edits apart
    assert again.get("models/m.py", "sha-1", "python") is not None
    assert again.get("models/m.py", "sha-other", "python") is None  # content changed: scan again


TEMPLATES = [
    'select * from {{ ref(\'a\') }} join {{ ref("pkg", "b") }} using (id)',
    "select * from {{ source('shop', 'orders') }}",
    "select {{- ref('a') -}} , {{ ref ( 'b' ) | upper }}",
    "select 1 as ref, source from t",
    "select {{ x.ref('a') }}",
    "select {{ x . ref('a') }}",
    "select {{ ref('a', ) }}",
    "select {{ \"}}\" }} from {{ ref('a') }}",
    "select {{ 'ref' }}",
    "select {{ ref(var('x')) }}",
    "select {{ source('only') }}",
    "select {{ refx('a') }}, {{ my_ref('b') }}",
    "select {{ ref('a') ~ ref('b') }}",
    "select {{ ref('a\\'b') }}",
    "select {{ ref('a') }} {{ ref('a') }}",
    "select * from {{ ref('a')",
    "select {{ money('amount * 1.01') }} from {{ ref('a') }} where x >= {{ var('min') }} * 2",
    "select '{' as brace from {{ ref('a') }}",
    "no jinja at all",
]


def test_text_scan_of_sql_finds_what_the_lexer_finds():
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    corpus = [*TEMPLATES, *(p.read_text() for p in repo_files(".sql"))]
    quick = 0
    for text in corpus:
        fast = sqlscan._scan_expressions("models/x.sql", text, "sql", "x")
        if fast is None:
            continue
        quick += 1
        lexed = sqlscan._scan_lexed("models/x.sql", text, "sql", "x", env)
        assert (fast.sure, fast.entries) == (lexed.sure, lexed.entries), text
    assert quick >= 20  # the text scan answers for most templates
