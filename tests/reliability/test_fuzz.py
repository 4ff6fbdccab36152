"""Property/fuzz suite: whatever pyflow.yml, schema YAML, profiles.yml, selectors and ``--vars``
hold, the CLI ends with exit code 0, 1 (a user error) or 2 (a usage error): never an internal
error (3), never a traceback.

Inputs are structurally plausible documents (the keys pyflow knows, values of every YAML type,
Jinja, anchors and merge keys, huge integers) and the same documents mutated at random (YAML
tokens inserted, slices deleted, lines doubled, bytes that are not UTF-8).

The default profile is fixed and fast (derandomized, a few dozen examples per target). A long
random run: ``nox -s fuzz -- 10`` (minutes), or ``PYFLOW_FUZZ_EXAMPLES=5000 python -m pytest
tests/reliability/test_fuzz.py``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pyflow.cli.main import app
from pyflow.config.yamlfile import load_yaml
from pyflow.errors import ProjectError

LONG_RUN = os.environ.get("PYFLOW_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(LONG_RUN) if LONG_RUN else 20,
    derandomize=not LONG_RUN,
    deadline=None,
    database=None,  # a failure prints its input; nothing is stored in the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# ---- building blocks -------------------------------------------------------------------------
NAMES = ["a", "b", "orders", "id", "proj", "p", "dev", "main", "shop", "staging", "x" * 220, "é", ""]
WORDS = [
    "view", "table", "incremental", "ephemeral", "snapshot", "duckdb", "trino", "athena", "merge",
    "append", "models", "seeds", "tests", "macros", "ref('a')", "source('s', 't')", "error", "warn",
    "{{ env_var('PYFLOW_FUZZ_UNSET') }}", "{{ env_var('HOME') }}", "{{ var('x') }}", "{{ nope }}",
    "{{ 1/0 }}", "{% if %}", "{{", "}}", "2024-01-01", "2024-13-45", "12:30", "null", "~", "yes",
    "*", "&", "!", "%", "@", "|", "> 10", "!= 0", ".inf", "0x1F", "1_000", "../x", "/etc", ":memory:",
]  # fmt: skip
TOKENS = [
    "&a ", "*a", "<<: *a\n", "<<: 1\n", "? ", "- ", "{", "}", "[", "]", ": ", ":", "\n", "  ", "\t",
    "!!binary ", "!!python/object:os.system ", "!x ", "!!str ", "!!int ", "'", '"', "#", "|", ">",
    "---\n", "...\n", "%YAML 1.1\n", "\x00", "\x07", "\ufeff", "\u2028", "2024-02-30", "9" * 5000,
    "{{ ", " }}", "&b [*b]", "&c {x: *c}", "[" * 300, "a: &x [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=10**20, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES + WORDS),
    st.text(max_size=12),
)


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Any YAML value: scalars, lists and mappings (keys mostly from ``keys``), a few levels deep."""
    key = st.sampled_from(keys) | st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=4),
        max_leaves=10,
    )


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy[str]) -> bytes:
    """A document, sometimes with YAML tokens inserted, slices deleted, lines doubled or bad bytes."""
    text = draw(documents)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        pos = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["token", "text", "delete", "double"]))
        if action == "token":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        elif action == "text":
            text = text[:pos] + draw(st.text(max_size=6)) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(min_value=1, max_value=8)) :]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # now and then bytes that are not UTF-8
        pos = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=3)) + data[pos:]
    return data


# ---- documents -------------------------------------------------------------------------------
PROJECT_KEYS = [
    "name", "version", "config-version", "profile", "model-paths", "seed-paths", "snapshot-paths",
    "macro-paths", "test-paths", "vars", "models", "seeds", "snapshots", "tests", "data_tests",
    "clean-targets", "+materialized", "+tags", "+schema", "+enabled", "+meta", "+unique_key",
    "+incremental_strategy", "+column_types", "proj", "staging",
]  # fmt: skip
SAFE_FOLDERS = ["models", "seeds", "snapshots", "macros", "tests", "more", "..", "/", "../..", ""]


@st.composite
def project_files(draw: st.DrawFn) -> bytes:
    doc: dict[str, Any] = {"name": draw(st.sampled_from(["proj", "proj"]) | scalars)}
    for key in draw(st.lists(st.sampled_from(PROJECT_KEYS[1:]), max_size=5, unique=True)):
        if key.endswith("-paths") or key == "clean-targets":
            doc[key] = draw(st.lists(st.sampled_from(SAFE_FOLDERS), max_size=3) | scalars)
        else:
            doc[key] = draw(values(PROJECT_KEYS))
    return draw(mutated(st.just(dump(doc))))


SCHEMA_KEYS = [
    "version", "models", "sources", "seeds", "snapshots", "unit_tests", "name", "description",
    "columns", "tests", "data_tests", "config", "meta", "tags", "tables", "schema", "database",
    "identifier", "freshness", "warn_after", "error_after", "count", "period", "loaded_at_field",
    "unique", "not_null", "accepted_values", "relationships", "accepted_range", "values", "to",
    "field", "min_value", "max_value", "severity", "where", "arguments", "model", "given", "expect",
    "rows", "input", "format", "overrides", "macros", "is_incremental", "data_type", "docs",
]  # fmt: skip
TESTS = st.one_of(
    st.sampled_from(["unique", "not_null", "nope"]),
    st.dictionaries(
        st.sampled_from(["accepted_values", "relationships", "accepted_range", "unique", "not_null"]),
        values(SCHEMA_KEYS),
        min_size=1,
        max_size=2,
    ),
    values(SCHEMA_KEYS),
)


@st.composite
def schema_files(draw: st.DrawFn) -> bytes:
    column = st.fixed_dictionaries(
        {"name": st.sampled_from(["id", "n"]) | scalars},
        optional={"tests": st.lists(TESTS, max_size=3), "description": scalars, "meta": values(SCHEMA_KEYS)},
    )
    node = st.fixed_dictionaries(
        {"name": st.sampled_from(["a", "b", "c"]) | scalars},
        optional={
            "columns": st.lists(column, max_size=2) | values(SCHEMA_KEYS),
            "config": values(SCHEMA_KEYS),
            "tests": st.lists(TESTS, max_size=2),
        },
    )
    source = st.fixed_dictionaries(
        {"name": st.sampled_from(["s"]) | scalars},
        optional={
            "tables": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["t"]) | scalars}), max_size=2)
            | values(SCHEMA_KEYS),
            "freshness": values(SCHEMA_KEYS),
            "schema": scalars,
        },
    )
    unit = st.fixed_dictionaries(
        {"name": st.sampled_from(["u"]) | scalars, "model": st.sampled_from(["a", "b"]) | scalars},
        optional={
            "given": values(SCHEMA_KEYS),
            "expect": values(SCHEMA_KEYS),
            "overrides": values(SCHEMA_KEYS),
        },
    )
    doc = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "version": scalars,
                "models": st.lists(node, max_size=3) | values(SCHEMA_KEYS),
                "sources": st.lists(source, max_size=2),
                "unit_tests": st.lists(unit, max_size=2),
                "seeds": st.lists(node, max_size=1),
            },
        )
    )
    return draw(mutated(st.just(dump(doc))))


PROFILE_KEYS = [
    "target", "outputs", "dev", "prod", "type", "path", "schema", "database", "threads", "settings",
    "host", "port", "user", "catalog", "http_scheme", "auth", "method", "password", "token",
    "s3_staging_dir", "region_name", "work_group", "num_retries", "config",
]  # fmt: skip


@st.composite
def profile_files(draw: st.DrawFn) -> bytes:
    output = st.fixed_dictionaries(
        {"type": st.sampled_from(["duckdb", "duckdb", "trino", "athena"]) | scalars},
        optional={
            "path": st.sampled_from(["pyflow.duckdb", "{{ env_var('PYFLOW_FUZZ_UNSET', 'x.duckdb') }}"])
            | scalars,
            "schema": scalars,
            "database": scalars,
            "threads": scalars,
            "settings": values(PROFILE_KEYS),
            "host": scalars,
            "port": scalars,
            "auth": values(PROFILE_KEYS),
            "s3_staging_dir": scalars,
            "region_name": scalars,
        },
    )
    outputs = st.dictionaries(
        st.sampled_from(["dev", "prod"]) | scalars, output | values(PROFILE_KEYS), max_size=2
    )
    profile = st.fixed_dictionaries(
        {},
        optional={
            "target": st.sampled_from(["dev", "prod"]) | scalars,
            "outputs": outputs | values(PROFILE_KEYS),
        },
    )
    doc = draw(
        st.dictionaries(
            st.sampled_from(["p", "p", "config"]) | scalars, profile | values(PROFILE_KEYS), max_size=2
        )
    )
    return draw(mutated(st.just(dump(doc))))


SELECTOR_TOKENS = [
    "a", "b", "c", "s", "t", "+", "@", "*", ",", " ", "tag:", "tag:x", "path:", "path:models", "config.",
    "config.materialized:", "view", "source:", "source:s", "source:s.t", "state:", "state:modified",
    "result:", "result:error", "fqn:", "test_type:", "1", "2", ".", "/", "..", "\\", ":", "'", "(", ")",
]  # fmt: skip
selectors = st.lists(st.sampled_from(SELECTOR_TOKENS), min_size=1, max_size=6).map("".join) | st.text(
    min_size=1, max_size=12
).filter(lambda s: not s.startswith("-"))

VARS_KEYS = ["x", "n", "who", "a", "start_date", "<<"]
vars_texts = (
    st.one_of(
        values(VARS_KEYS).map(dump),
        st.dictionaries(st.sampled_from(VARS_KEYS) | scalars, values(VARS_KEYS), max_size=3).map(dump),
        st.text(max_size=30),
    )
    .flatmap(lambda text: mutated(st.just(text)))
    .map(lambda b: b.decode("utf-8", "replace"))
)

# ---- the property ----------------------------------------------------------------------------
BASE_PROJECT = {
    "pyflow.yml": b"name: proj\n",
    "models/a.sql": b"select 1 as id, {{ var('x', 1) }} as x\n",
    "models/b.sql": b"{{ config(tags=['t']) }}select id from {{ ref('a') }}\n",
    "models/c.py": (
        b"import ibis\nfrom pyflow import model\n\n\n@model(materialized='table')\n"
        b"def c(a: ibis.Table) -> ibis.Table:\n    return a\n"
    ),
    "models/s.yml": b"sources:\n  - name: s\n    tables: [{name: t}]\n",
}


def _run(files: dict[str, bytes], *args: str) -> None:
    """Run the CLI on a fresh project holding ``files``; only a clean exit is acceptable."""
    with tempfile.TemporaryDirectory(prefix="pyflow-fuzz-") as tmp:
        root = Path(tmp) / "inner" / "proj"  # relative paths that climb out stay in tmp
        for rel, content in {**BASE_PROJECT, **files}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
        result = CliRunner().invoke(app, [*args, "--project-dir", str(root)], catch_exceptions=True)
    output = result.output
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{type(result.exception).__name__}: {result.exception}\n{output}"
    assert result.exit_code in (0, 1, 2), output
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    if result.exit_code == 1:
        assert "[" in output and "] see docs/errors.md#" in output, output  # a coded PyflowError


def _safe_project(data: bytes) -> bool:
    # target-path and log-path are written to: never let random input point them anywhere
    return b"target-path" not in data and b"log-path" not in data


@FUZZ
@given(data=project_files())
def test_fuzz_pyflow_yml(data: bytes) -> None:
    if _safe_project(data):
        _run({"pyflow.yml": data}, "compile")


@FUZZ
@given(data=schema_files())
def test_fuzz_schema_yaml(data: bytes) -> None:
    _run({"models/schema.yml": data}, "compile")


@FUZZ
@given(data=profile_files())
def test_fuzz_profiles_yml(data: bytes) -> None:
    # debug loads the target and checks it; a DuckDB file that does not exist is not created
    _run({"pyflow.yml": b"name: proj\nprofile: p\n", "profiles.yml": data}, "debug")


@FUZZ
@given(select=selectors, exclude=st.none() | selectors)
def test_fuzz_selectors(select: str, exclude: str | None) -> None:
    _run({}, "ls", "-s", select, *(("--exclude", exclude) if exclude is not None else ()))


@FUZZ
@given(text=vars_texts)
def test_fuzz_vars(text: str) -> None:
    _run({}, "compile", "--vars", text)


@settings(FUZZ, max_examples=int(LONG_RUN) * 10 if LONG_RUN else 300)
@given(data=mutated(st.one_of(values(PROJECT_KEYS + SCHEMA_KEYS).map(dump), st.text(max_size=40))))
def test_fuzz_yaml_loader(data: bytes) -> None:
    """The one YAML loader: a document, or a ProjectError naming the file; nothing else escapes."""
    with tempfile.TemporaryDirectory(prefix="pyflow-fuzz-") as tmp:
        path = Path(tmp) / "doc.yml"
        path.write_bytes(data)
        try:
            doc = load_yaml(path, display="doc.yml")
        except ProjectError as exc:
            assert exc.path == "doc.yml"
            assert exc.hint
            return
    assert all(isinstance(line, int) and line >= 1 for line in doc.lines.values())
