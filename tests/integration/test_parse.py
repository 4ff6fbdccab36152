"""``pyflow parse`` and ``pyflow list``: dbt's commands under their names."""

from __future__ import annotations

import json


def test_parse_writes_the_manifest_of_every_node_without_compiling_or_connecting(copy_project, pyflow):
    project = copy_project("examples/shop")

    result = pyflow("parse", "--project-dir", project)

    manifest = json.loads((project / "target" / "manifest.json").read_text())
    kinds = sorted(uid.split(".")[0] for uid in manifest["nodes"]) + sorted(manifest["sources"])
    assert "Parsed 7 models, 1 seed, 1 snapshot, 30 data tests, 5 unit tests, 2 sources in " in result.output
    assert kinds.count("model") == 7 and kinds.count("test") == 30 and kinds.count("unit_test") == 5
    assert len(manifest["sources"]) == 2
    assert manifest["nodes"]["model.shop.dim_customers"]["compiled_code"] is None
    assert not (project / "target" / "compiled").exists()
    assert not list(project.glob("*.duckdb"))  # the target was never opened


def test_parse_reports_every_error_with_its_file_and_exits_1(make_project, pyflow):
    project = make_project(
        {
            "models/a.sql": "select 1 as x from {{ ref('nosuch') }}\n",
            "models/b.py": "from pyflow import model\n\n\n@model\ndef b(missing_parent):\n    return missing_parent\n",
        }
    )

    result = pyflow("parse", "--project-dir", project, expect=1)

    assert "models/a.sql:1" in result.output and "nosuch" in result.output
    assert "models/b.py:5" in result.output and "missing_parent" in result.output
    assert not (project / "target" / "manifest.json").exists()


def test_list_is_ls(copy_project, pyflow):
    project = copy_project("examples/shop")
    args = ("--project-dir", project, "--select", "+dim_customers", "--output", "json")

    listed = pyflow("list", *args).output
    ls = pyflow("ls", *args).output

    assert listed == ls and '"name": "dim_customers"' in listed
