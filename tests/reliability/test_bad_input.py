"""Bad input is a user error, never a traceback: each case runs the CLI on a project holding one
mistake and expects exit code 1, the file and line of the mistake, and a fix.

Every case printed a Python traceback (or hung, for the YAML bombs) before the fix.
"""

from __future__ import annotations

from typing import Any

import pytest

PROFILE_PROJECT = "name: proj\nprofile: p\n"
MODEL = {"models/a.sql": "select 1 as id\n"}
HUGE = "9" * 5000


def _billion_laughs() -> str:
    lines = [
        "name: proj",
        "vars:",
        '  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


# (id, files, extra CLI args, command, expected location, expected words of the message or fix)
Case = tuple[str, dict[str, Any], tuple[str, ...], str, str, str]

YAML_CASES: list[Case] = [
    (
        "yaml-bomb-pyflow-yml",
        {"pyflow.yml": _billion_laughs()},
        (),
        "ls",
        "pyflow.yml:8",
        "aliases expand this document beyond 100,000 values (at alias '*a4')",
    ),
    (
        "yaml-bomb-schema",
        {
            "models/s.yml": "x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"y{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 10)}]\n" for i in range(8)
            )
        },
        (),
        "ls",
        "models/s.yml:5",
        "aliases expand this document",
    ),
    (
        "yaml-bomb-profiles",
        {
            "pyflow.yml": PROFILE_PROJECT,
            "profiles.yml": "x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"y{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 10)}]\n" for i in range(8)
            ),
        },
        (),
        "debug",
        "profiles.yml:5",
        "aliases expand this document",
    ),
    (
        "recursive-alias",
        {"pyflow.yml": "name: proj\nvars: &v\n  d: *v\n"},
        (),
        "ls",
        "pyflow.yml:2",
        "recursive alias",
    ),
    (
        "non-utf8-pyflow-yml",
        {"pyflow.yml": b"name: proj\nvars:\n  x: \xff\xfe\n"},
        (),
        "ls",
        "pyflow.yml:3",
        "UTF-8",
    ),
    (
        "non-utf8-schema",
        {"models/s.yml": b"models:\n  - name: a\n    description: \xe9t\xe9\n"},
        (),
        "ls",
        "models/s.yml:3",
        "UTF-8",
    ),
    (
        "non-utf8-profiles",
        {
            "pyflow.yml": PROFILE_PROJECT,
            "profiles.yml": b"p:\n  outputs:\n    dev: {type: duckdb, path: \xff}\n",
        },
        (),
        "debug",
        "profiles.yml:3",
        "UTF-8",
    ),
    (
        "non-utf8-sql-model",
        {"models/b.sql": b"select 1 as x\n-- caf\xe9\n"},
        (),
        "ls",
        "models/b.sql:2",
        "UTF-8",
    ),
    (
        "list-key-pyflow-yml",
        {"pyflow.yml": "name: proj\n? [a, b]\n: 1\n"},
        (),
        "ls",
        "pyflow.yml:2",
        "a key is a list",
    ),
    (
        "list-key-vars",
        {"pyflow.yml": "name: proj\nvars:\n  ? [a]\n  : 1\n"},
        (),
        "ls",
        "pyflow.yml:3",
        "a key is a list",
    ),
    (
        "mapping-key-schema",
        {"models/s.yml": "models:\n  - name: a\n    ? {x: 1}\n    : 2\n"},
        (),
        "ls",
        "models/s.yml:3",
        "a key is a mapping",
    ),
    (
        "list-key-profiles",
        {"pyflow.yml": PROFILE_PROJECT, "profiles.yml": "p:\n  outputs:\n    ? [a]\n    : {type: duckdb}\n"},
        (),
        "debug",
        "profiles.yml:3",
        "a key is a list",
    ),
    (
        "impossible-date",
        {"pyflow.yml": "name: proj\nvars:\n  d: 2024-13-45\n"},
        (),
        "ls",
        "pyflow.yml:3",
        "quote the value",
    ),
    (
        "huge-integer-yaml",
        {"pyflow.yml": f"name: proj\nvars:\n  d: {HUGE}\n"},
        (),
        "ls",
        "pyflow.yml:3",
        "integer too long",
    ),
    (
        "python-tag",
        {"pyflow.yml": "name: proj\nvars:\n  d: !!python/object:os.system x\n"},
        (),
        "ls",
        "pyflow.yml:3",
        "tag",
    ),
    ("bad-merge-key", {"pyflow.yml": "name: proj\nmodels:\n  <<: 1\n"}, (), "ls", "pyflow.yml:3", "merging"),
    (
        "empty-int-tag",
        {"pyflow.yml": "name: proj\nvars: {a: !!int }\n"},
        (),
        "ls",
        "pyflow.yml:2",
        "cannot read the value ''",
    ),
    (
        "control-character",
        {"pyflow.yml": "name: proj\nvars: {a: x\u0007}\n"},
        (),
        "ls",
        "pyflow.yml:2",
        "a character YAML does not allow (U+0007)",
    ),
    (
        "deep-nesting",
        {"pyflow.yml": "name: proj\nvars:\n  d: " + "[" * 3000 + "]" * 3000 + "\n"},
        (),
        "ls",
        "pyflow.yml",
        "nest",
    ),
]

CONFIG_CASES: list[Case] = [
    (
        "tags-int-pyflow-yml",
        {"pyflow.yml": "name: proj\nmodels:\n  +tags: 1\n"},
        (),
        "ls",
        "models/a.sql:1",
        "tags",
    ),
    (
        "tags-int-schema-config",
        {"models/s.yml": "models:\n  - name: a\n    config: {tags: 1}\n"},
        (),
        "ls",
        "models/a.sql:1",
        "tags",
    ),
    (
        "tags-int-sql-config",
        {"models/b.sql": "{{ config(tags=1) }}select 1 as x\n"},
        (),
        "ls",
        "models/b.sql:1",
        "tags",
    ),
    (
        "test-arguments-list",
        {
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n"
            "          - accepted_values: [1, 2]\n"
        },
        (),
        "ls",
        "models/s.yml:6",
        "must be a mapping",
    ),
    (
        "test-arguments-key-list",
        {
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n"
            "          - accepted_values: {arguments: [1, 2]}\n"
        },
        (),
        "ls",
        "models/s.yml:6",
        "`arguments:` of test 'accepted_values' must be a mapping",
    ),
    (
        "test-config-list",
        {
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n"
            "          - unique: {config: [warn]}\n"
        },
        (),
        "ls",
        "models/s.yml:6",
        "`config:` of test 'unique' must be a mapping",
    ),
    (
        "test-name-list",
        {
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n"
            "          - unique: {name: [x]}\n"
        },
        (),
        "ls",
        "models/s.yml:6",
        "`name:` is text",
    ),
    (
        "over-long-model-name",
        {
            "models/long.py": "import ibis\nfrom pyflow import model\n\n\n@model(materialized='table')\n"
            f"def {'m' * 300}() -> ibis.Table:\n    return ibis.memtable({{'a': [1]}})\n"
        },
        (),
        "compile",
        "models/long.py:6",
        "names are at most 200",
    ),
    (
        "over-long-test-name",
        {
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n"
            f"          - unique: {{name: {'t' * 300}}}\n"
        },
        (),
        "ls",
        "models/s.yml:6",
        "names are at most 200",
    ),
]

_PROFILE_SHAPES = [
    ("profile-is-number", "p: 1\n", "profiles.yml:1", "profile 'p' must be a mapping"),
    ("profile-is-list", "p: [1]\n", "profiles.yml:1", "profile 'p' must be a mapping"),
    ("file-is-list", "- p\n", "profiles.yml:1", "profiles.yml must be a mapping"),
    ("file-is-text", "hello\n", "profiles.yml:1", "profiles.yml must be a mapping"),
    ("outputs-is-number", "p:\n  outputs: 1\n", "profiles.yml:2", "outputs must be a mapping"),
    ("outputs-is-list", "p:\n  outputs: [1]\n", "profiles.yml:2", "outputs must be a mapping"),
    ("outputs-is-text", "p:\n  outputs: dev\n", "profiles.yml:2", "outputs must be a mapping"),
    ("output-is-number", "p:\n  outputs:\n    dev: 1\n", "profiles.yml:3", "output 'dev' must be a mapping"),
    ("output-is-list", "p:\n  outputs:\n    dev: [1]\n", "profiles.yml:3", "output 'dev' must be a mapping"),
    (
        "output-is-text",
        "p:\n  outputs:\n    dev: duckdb\n",
        "profiles.yml:3",
        "output 'dev' must be a mapping",
    ),
    (
        "target-is-list",
        "p:\n  target: [1]\n  outputs:\n    dev: {type: duckdb}\n",
        "profiles.yml:2",
        "`target:`",
    ),
    (
        "target-is-mapping",
        "p:\n  target: {a: 1}\n  outputs:\n    dev: {type: duckdb}\n",
        "profiles.yml:2",
        "`target:`",
    ),
    ("profile-key-list", "? [p]\n: 1\n", "profiles.yml:1", "a key is a list"),
    (
        "jinja-unknown-function",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ nope() }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-unknown-attribute",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ x.y }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-division-by-zero",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ 1/0 }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-syntax-error",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ env_var( }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-env-var-number",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ env_var(1) }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-env-var-no-name",
        'p:\n  outputs:\n    dev: {type: duckdb, path: "{{ env_var() }}"}\n',
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-env-var-three-arguments",
        "p:\n  outputs:\n    dev: {type: duckdb, path: \"{{ env_var('A', 'b', 'c') }}\"}\n",
        "profiles.yml:3",
        "Jinja",
    ),
    (
        "jinja-in-nested-setting",
        'p:\n  outputs:\n    dev:\n      type: duckdb\n      settings: {a: "{{ q }}"}\n',
        "profiles.yml:5",
        "Jinja",
    ),
    ("yaml-syntax", "p:\n  outputs:\n    dev: {type: duckdb\n", "profiles.yml", "invalid YAML"),
    (
        "date-value",
        "p:\n  outputs:\n    dev: {type: duckdb, path: 2024-02-30}\n",
        "profiles.yml:3",
        "quote the value",
    ),
    (
        "huge-integer",
        f"p:\n  outputs:\n    dev: {{type: duckdb, threads: {HUGE}}}\n",
        "profiles.yml:3",
        "integer too long",
    ),
    ("unknown-tag", "p:\n  outputs:\n    dev: !custom {type: duckdb}\n", "profiles.yml:3", "tag"),
]
PROFILE_CASES: list[Case] = [
    (name, {"pyflow.yml": PROFILE_PROJECT, "profiles.yml": body}, (), "debug", where, words)
    for name, body, where, words in _PROFILE_SHAPES
]

CLI_CASES: list[Case] = [
    ("vars-number-key", {}, ("--vars", "{1: a}"), "ls", "--vars:1", "quote the key"),
    ("vars-bool-key", {}, ("--vars", "{true: a}"), "ls", "--vars:1", "quote the key"),
    ("vars-list-key", {}, ("--vars", "{? [a]: 1}"), "ls", "--vars:1", "a key is a list"),
    ("vars-huge-integer", {}, ("--vars", f"{{n: {HUGE}}}"), "ls", "--vars:1", "integer too long"),
    (
        "vars-bomb",
        {},
        (
            "--vars",
            "{a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], "
            + ", ".join(
                f"b{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 10)}]" for i in range(8)
            )
            + "}",
        ),
        "ls",
        "--vars:1",
        "aliases expand this document",
    ),
    ("vars-not-a-mapping", {}, ("--vars", "[1, 2]"), "ls", "--vars", "mapping of names"),
    (
        "vars-odd-struct-into-python-model",
        {
            "models/b.sql": "select 1 as id, {{ var('x', 1) }} as x\n",
            "models/c.py": "import ibis\nfrom pyflow import model\n\n\n@model()\n"
            "def c(b: ibis.Table) -> ibis.Table:\n    return b\n",
        },
        ("--vars", "x: {':': 0}"),
        "compile",
        "models/c.py:6",
        "the columns of input 'b' cannot be an Ibis table",
    ),
    (
        "profile-dir-missing-folder",
        {
            "pyflow.yml": PROFILE_PROJECT,
            "profiles.yml": "p:\n  outputs:\n    dev: {type: duckdb, path: /proc/no/x.duckdb}\n",
        },
        (),
        "run",
        "/proc/no/x.duckdb",
        "profiles.yml",
    ),
    (
        "unknown-duckdb-extension",
        {
            "pyflow.yml": PROFILE_PROJECT,
            "profiles.yml": "p:\n  outputs:\n    dev: {type: duckdb, extensions: [no_such_extension_xyz]}\n",
        },
        (),
        "run",
        "'no_such_extension_xyz'",
        "extensions:",
    ),
    (
        "duckdb-extension-with-sql",
        {
            "pyflow.yml": PROFILE_PROJECT,
            "profiles.yml": "p:\n  outputs:\n    dev: {type: duckdb, extensions: ['json; select 1']}\n",
        },
        (),
        "run",
        "'json; select 1' is not a DuckDB extension name",
        "extensions:",
    ),
]

ALL = YAML_CASES + CONFIG_CASES + PROFILE_CASES + CLI_CASES


@pytest.mark.parametrize(
    ("files", "args", "command", "where", "words"), [c[1:] for c in ALL], ids=[c[0] for c in ALL]
)
def test_bad_input_is_a_user_error_with_file_line_and_fix(
    make_project, cli, files, args, command, where, words
):
    text = {rel: content for rel, content in files.items() if isinstance(content, str)}
    project = make_project({**MODEL, **text})
    for rel, content in files.items():  # bytes are written as they are (make_project dedents text)
        if isinstance(content, bytes):
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_bytes(content)

    result = cli(command, "--project-dir", str(project), *args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert where in result.output
    assert words in result.output
    assert "Fix: " in result.output


def test_ordinary_anchors_and_merge_keys_still_work(make_project, pyflow):
    """A dbt-style project sharing defaults with anchors and merge keys loads as written."""
    project = make_project(
        {
            "models/a.sql": "select 1 as id\n",
            "models/b.sql": "select 1 as id, {{ var('n') }} as n\n",
            "models/s.yml": """
                models:
                  - name: a
                    columns: &id_columns
                      - name: id
                        tests: [unique, not_null]
                  - name: b
                    columns: *id_columns
            """,
        },
        project_yml=(
            "name: proj\n"
            "vars:\n  n: 2\n  table_defaults: &defaults {+materialized: table, +tags: [shared]}\n"
            "models:\n  proj:\n    <<: *defaults\n"
        ),
    )

    listed = pyflow(
        "ls", "--project-dir", project, "-s", "tag:shared", "--resource-type", "model",
        "--vars", "{base: &b {n: 3}, <<: *b}",
    )  # fmt: skip

    assert listed.output.split() == ["a", "b"]
    compiled = pyflow("compile", "--project-dir", project, "--vars", "{base: &b {n: 3}, <<: *b}")
    assert compiled.exit_code == 0
    assert (project / "target/compiled/proj/models/b.sql").read_text().strip() == "select 1 as id, 3 as n"


def test_a_huge_thread_count_runs_with_one_worker_per_node(make_project, pyflow, warehouse):
    """``--threads 10**23`` (or ``threads:`` in profiles.yml) once started that many threads: a hang."""
    project = make_project({**MODEL, "models/b.sql": "select id + 1 as id from {{ ref('a') }}\n"})

    result = pyflow("run", "--project-dir", project, "--threads", "99999999999999999999999")

    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    assert warehouse(project).rows("SELECT id FROM main.b") == [(2,)]
