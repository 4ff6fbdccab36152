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
