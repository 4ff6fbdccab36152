"""A node whose definition fails is reported once; what depends on it adds no second error."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflow.config.loader import load_project
from pyflow.errors import ErrorGroup, PyflowError

FAILING = {
    "models/a.sql": "select 1 as id\n",
    "models/b.sql": "select *\nfrom {{ ref('a') }}\nwhere {{ no_such_macro() }}\n",
    "models/c.sql": "select * from {{ ref('b') }}\n",
    "models/d.py": (
        "import ibis\nfrom pyflow import model\n\n\n@model()\ndef d(b: ibis.Table) -> ibis.Table:\n    return b\n"
    ),
    "models/e.sql": "select * from {{ ref('c') }}\n",
}


def _load_error(make_project, files: dict[str, str]) -> PyflowError:
    root: Path = make_project(files)
    with pytest.raises(PyflowError) as info:
        load_project(root)
    return info.value


def test_a_model_that_fails_to_render_is_reported_alone_with_file_and_line(make_project) -> None:
    err = _load_error(make_project, FAILING)

    assert not isinstance(err, ErrorGroup), str(err)
    assert (err.model, err.path, err.line, err.code) == ("b", "models/b.sql", 3, "undefined-macro")


def test_a_model_with_invalid_config_is_reported_alone(make_project) -> None:
    files = {
        "models/a.sql": "{{ config(materialized='tabel') }}\nselect 1 as id\n",
        "models/b.sql": "select * from {{ ref('a') }}\n",
    }

    err = _load_error(make_project, files)

    assert not isinstance(err, ErrorGroup), str(err)
    assert (err.model, err.code) == ("a", "unknown-materialization")


def test_a_misspelled_ref_beside_a_failed_model_is_still_reported(make_project) -> None:
    files = {**FAILING, "models/f.sql": "select * from {{ ref('aa') }}\n"}

    err = _load_error(make_project, files)

    assert isinstance(err, ErrorGroup)
    assert sorted((e.model, e.code) for e in err.errors) == [
        ("b", "undefined-macro"),
        ("f", "missing-dependency"),
    ]


def test_a_python_module_that_fails_to_import_is_reported_alone(make_project) -> None:
    files = {
        "models/a.sql": "select 1 as id\n",
        "models/p.py": (
            "import ibis\nimport no_such_module_here\nfrom pyflow import model\n\n\n"
            "@model()\ndef p(a: ibis.Table) -> ibis.Table:\n    return a\n\n\n"
            "@model\ndef p2(a: ibis.Table) -> ibis.Table:\n    return a\n"
        ),
        "models/q.sql": "select * from {{ ref('p') }}\n",
        "models/r.py": (
            "import ibis\nfrom pyflow import model\n\n\n@model()\ndef r(p2: ibis.Table) -> ibis.Table:\n    return p2\n"
        ),
    }

    err = _load_error(make_project, files)

    assert not isinstance(err, ErrorGroup), str(err)
    assert (err.path, err.line, err.code) == ("models/p.py", 2, "python-import")


BROKEN_PY = {
    "models/a.sql": "select 1 as id\n",
    "models/q.sql": "select * from {{ ref('p') }}\n",
    "models/r.py": (
        "import ibis\nfrom pyflow import model\n\n\n@model()\ndef r(p2: ibis.Table) -> ibis.Table:\n    return p2\n"
    ),
    # properties and a test of the models of the broken file
    "models/schema.yml": (
        "models:\n  - name: p\n    description: the p model\n    columns:\n      - name: id\n"
        "        tests: [unique]\n  - name: p2\n    description: another\n"
    ),
}


@pytest.mark.parametrize(
    "module",
    [
        # a syntax error: the file does not parse, its decorated functions are found in its text
        "import ibis\nfrom pyflow import model\n\n\n@model(\n    materialized='table',\n)\n"
        "def p(a: ibis.Table) -> ibis.Table:\n    return a.select(x=1, a.id)\n\n\n"
        "@model\n# a comment\nasync def p2(a):\n    return a\n",
        # it parses but fails to import
        "import ibis\nimport no_such_module_here\nfrom pyflow import model\n\n\n"
        "@model()\ndef p(a: ibis.Table) -> ibis.Table:\n    return a\n\n\n"
        "@model\ndef p2(a: ibis.Table) -> ibis.Table:\n    return a\n",
    ],
    ids=["syntax-error", "import-error"],
)
def test_properties_tests_and_children_of_a_broken_module_add_no_error(make_project, module: str) -> None:
    # before: its models' properties were "properties describe model 'p', which does not exist"
    # (did you mean ...?), its test and its children "depends on 'p', which is not a model"
    err = _load_error(make_project, {**BROKEN_PY, "models/p.py": module})

    assert not isinstance(err, ErrorGroup), str(err)
    assert err.path == "models/p.py" and err.code in ("python-syntax", "python-import")
