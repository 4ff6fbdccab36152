"""Secrets never reach a file, a log line or an error (issue 10, item 7).

Environment variables named ``PYFLOW_SECRET_*`` (and dbt's ``DBT_ENV_SECRET_*``) are secrets:
``env_var()`` reads them only in profiles.yml, where the value is never written anywhere; a
model (or data test, snapshot, inline query) reading one is an error. Every secret value is
replaced by ``*****`` in logs, artifacts, caches and error messages, and ``--vars`` whose name
looks secret are stored redacted in run_results.json.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

PROFILES = """
proj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: pyflow.duckdb
      settings:
        custom_user_agent: "{{ env_var('PYFLOW_SECRET_TOKEN') }}"
"""

PY_MODEL = """
import os

import ibis
from pyflow import Context, model


@model(materialized="table")
def py_filtered(keep: ibis.Table, ctx: Context) -> ibis.Table:
    # a Python model can read os.environ directly: the literal lands in its compiled SQL
    return keep.filter(keep.country != os.environ["PYFLOW_SECRET_TOKEN"])
"""


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"canary-{uuid.uuid4()}"
    monkeypatch.setenv("PYFLOW_SECRET_TOKEN", value)
    return value


def _files_holding(root: Path, value: str) -> list[str]:
    """Every file under ``root`` (but the database itself) whose bytes contain ``value``."""
    found = []
    for path in sorted(root.rglob("*")):
        is_database = path.name.startswith("pyflow.duckdb")
        if path.is_file() and not is_database and value.encode() in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


@pytest.mark.parametrize("name", ["PYFLOW_SECRET_TOKEN", "DBT_ENV_SECRET_TOKEN"])
def test_a_model_reading_a_secret_env_var_is_an_error(name, make_project, pyflow, monkeypatch, canary):
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", canary)
    project = make_project(
        {
            "models/ok.sql": "select 1 as id\n",
            "models/leak.sql": f"select 1 as id,\n  '{{{{ env_var('{name}') }}}}' as token\n",
        }
    )

    for command in ("build", "compile"):
        result = pyflow(command, "--project-dir", project, expect=1)

        assert f"model 'leak' (models/leak.sql:2): env_var('{name}') reads a secret" in result.output
        assert "Fix: read secrets only in profiles.yml" in result.output
        assert "[secret-env-var]" in result.output
        assert canary not in result.output
    assert _files_holding(project, canary) == []


def test_the_secret_canary_appears_nowhere(make_project, pyflow, canary):
    project = make_project(
        {
            "profiles.yml": PROFILES,
            "seeds/keep.csv": "id,country\n1,x\n2,y\n",
            "models/ok.sql": "select * from {{ ref('keep') }} where country <> {{ var('country') | sql_literal }}\n",
            "models/py_filtered.py": PY_MODEL,
            # an engine error echoes the failing SQL, here holding the value of a secret-looking var
            "models/bad.sql": "select no_such_column from {{ ref('keep') }} "
            "where country = {{ var('api_token') | sql_literal }}\n",
        }
    )
    vars_ = json.dumps({"country": "x", "api_token": canary})
    outputs = [
        pyflow("build", "--project-dir", project, "--vars", vars_, "--log-format", "json", expect=1),
        pyflow("build", "--project-dir", project, "--vars", vars_, expect=1),
        pyflow("compile", "--project-dir", project, "--vars", vars_),
        pyflow("compile", "--project-dir", project, "--vars", vars_),  # from the compile cache
        pyflow(
            "show",
            "--inline",
            "select count(*) as n from {{ ref('ok') }}",
            "--project-dir",
            project,
            "--vars",
            vars_,
        ),
        pyflow("debug", "--project-dir", project, "--vars", vars_),
        pyflow("show", "py_filtered", "--project-dir", project, "--vars", vars_, "--output", "json"),
    ]

    for result in outputs:
        assert canary not in result.stdout
        assert canary not in result.stderr
    assert _files_holding(project, canary) == []
    # what was scrubbed is still there, masked
    assert "*****" in (project / "target" / "compiled" / "proj" / "models" / "py_filtered.sql").read_text()
    assert "*****" in (project / "logs" / "pyflow.log").read_text()
    results = json.loads((project / "target" / "run_results.json").read_text())
    assert results["args"]["vars"] == {"country": "x", "api_token": "*****"}
    bad = next(r for r in results["results"] if r["name"] == "bad")
    assert bad["status"] == "error"
    assert "where country = '*****'" in bad["message"]
    assert "{'custom_user_agent': '*****'}" in outputs[5].stdout
    # and the secret did its job where it was allowed: the profile's setting holds the real value
    import duckdb

    con = duckdb.connect(str(project / "pyflow.duckdb"), config={"custom_user_agent": canary})
    try:
        assert con.execute("select count(*) from main.py_filtered").fetchall() == [(2,)]
    finally:
        con.close()


def test_secret_like_vars_are_stored_redacted(make_project, pyflow, run_results):
    project = make_project({"models/ok.sql": "select {{ var('db_password') | sql_literal }} as p\n"})

    pyflow(
        "run",
        "--project-dir",
        project,
        "--vars",
        "{db_password: hunter2, my_token: abc, api_key: k, region: eu, limits: {secret: s, n: 1}}",
    )

    args = json.loads((project / "target" / "run_results.json").read_text())["args"]
    assert args["vars"] == {
        "db_password": "*****",
        "my_token": "*****",
        "api_key": "*****",
        "region": "eu",
        "limits": {"secret": "*****", "n": 1},
    }


def test_sql_holding_a_secret_is_recompiled_not_reused_masked(make_project, pyflow, warehouse, canary):
    project = make_project(
        {
            "seeds/keep.csv": f"id,country\n1,x\n2,{canary}\n",
            "models/py_filtered.py": PY_MODEL.replace("!=", "=="),
        }
    )

    for _ in range(3):  # the 2nd build keys the cache on the table built by the 1st; the 3rd may reuse
        pyflow("build", "--project-dir", project)  # a masked SQL reused from the cache matches no row

    assert warehouse(project).rows("select id from main.py_filtered") == [(2,)]
    cache = json.loads((project / "target" / ".pyflow" / "compile-cache.json").read_text())
    assert "py_filtered" not in cache["entries"]


def test_secret_values_are_masked_in_json_escaped_text(monkeypatch):
    from pyflow.secret import scrub, scrub_data

    secret = 'quo"te-\\-é'
    monkeypatch.setenv("DBT_ENV_SECRET_X", secret)

    assert scrub(json.dumps({"m": f"at {secret}."})) == '{"m": "at *****."}'
    assert scrub(json.dumps({"m": secret}, ensure_ascii=False)) == '{"m": "*****"}'
    assert scrub_data({secret: [f"a{secret}", 1, None]}) == {"*****": ["a*****", 1, None]}


def test_secret_values_follow_every_change_of_the_environment(monkeypatch):
    # secret_values() runs for every printed line, so it reads os.environ's raw bytes on POSIX;
    # it must still see each change at once and agree with reading the mapping
    import os

    from pyflow.secret import secret_values

    monkeypatch.setenv("PYFLOW_SECRET_A", "first-é")
    monkeypatch.setenv("dbt_env_secret_b", "lower")
    monkeypatch.setenv("PYFLOW_SECRET_EMPTY", "")
    monkeypatch.setenv("NOT_A_SECRET", "visible")
    assert secret_values() == ["first-é", "lower"]
    assert secret_values() == secret_values(dict(os.environ))

    monkeypatch.setenv("PYFLOW_SECRET_A", "second-longer")
    monkeypatch.delenv("dbt_env_secret_b")
    assert secret_values() == ["second-longer"]
