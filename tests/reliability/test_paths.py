"""Paths stay inside the project: source folders must lie in it, ``pyflow clean`` deletes only
folders that hold no sources (or nothing at all), and ``pyflow debug`` creates no database.

Before the fix ``seed-paths: ["../.."]`` was accepted, ``clean-targets: [models]`` deleted the
models, and ``pyflow debug`` created the DuckDB file and its folders.
"""

from __future__ import annotations

import os

import pytest

MODEL = {"models/a.sql": "select 1 as id\n"}


@pytest.mark.parametrize(
    ("key", "folder"),
    [
        ("seed-paths", "../.."),
        ("model-paths", "ABSOLUTE"),
        ("macro-paths", "macros/../../shared"),
        ("snapshot-paths", ".."),
        ("test-paths", "../other_project/tests"),
    ],
)
def test_a_source_folder_outside_the_project_is_refused(make_project, pyflow, tmp_path, key, folder):
    if folder == "ABSOLUTE":  # a folder of its own: pyflow before the fix read everything under it
        folder = str(tmp_path / "shared_models")
        (tmp_path / "shared_models").mkdir()
    project = make_project(MODEL, project_yml=f"name: proj\n{key}: ['{folder}']\n")

    result = pyflow("ls", "--project-dir", project, expect=1)

    assert f"pyflow.yml:2: {key} names '{folder}', which is outside the project folder" in result.output
    assert "Fix: list folders inside the project" in result.output
    assert "[path-outside-project]" in result.output
    assert "Traceback" not in result.output


def test_a_source_folder_linked_to_outside_the_project_is_refused(make_project, pyflow, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "seeds").mkdir(parents=True)
    project = make_project(MODEL, project_yml="name: proj\nseed-paths: [linked]\n")
    os.symlink(elsewhere / "seeds", project / "linked")

    result = pyflow("ls", "--project-dir", project, expect=1)

    assert "pyflow.yml:2: seed-paths names 'linked', which is outside the project folder" in result.output


def test_source_folders_inside_the_project_load(make_project, pyflow):
    project = make_project(
        {"models/a.sql": "select 1 as id\n", "more/models/b.sql": "select 2 as id\n"},
        project_yml="name: proj\nmodel-paths: ['./models', 'more/models/../models']\n",
    )

    result = pyflow("ls", "--project-dir", project)

    assert result.output.split() == ["a", "b"]


@pytest.mark.parametrize(
    ("targets", "refused", "problem"),
    [
        ("[target, models]", "models", "holds project sources (models)"),
        ("[target, models/staging]", "models/staging", "holds project sources (models)"),
        ("[target, src]", "src", "holds project sources (src/macros)"),
        ("[target, .]", ".", "is the project folder itself"),
        ("[target, ..]", "..", "is outside the project folder"),
        ("[target, ABSOLUTE]", "ABSOLUTE", "is outside the project folder"),
    ],
)
def test_clean_refuses_folders_with_sources_or_outside_and_deletes_nothing(
    make_project, pyflow, tmp_path, targets, refused, problem
):
    outside = tmp_path / "outside"
    (outside / "keep.txt").parent.mkdir()
    (outside / "keep.txt").write_text("keep")
    targets, refused = targets.replace("ABSOLUTE", str(outside)), refused.replace("ABSOLUTE", str(outside))
    project = make_project(
        {**MODEL, "models/staging/s.sql": "select 2 as id\n", "src/macros/m.sql": "", "target/x.txt": "x"},
        project_yml=f"name: proj\nmacro-paths: [src/macros]\nclean-targets: {targets}\n",
    )

    result = pyflow("clean", "--project-dir", project, expect=1)

    assert (
        f"pyflow.yml:3: clean-targets names '{refused}', which {problem}; nothing was deleted"
        in result.output
    )
    assert "Fix: list only folders pyflow writes (target, logs) under clean-targets" in result.output
    assert (project / "models/a.sql").is_file()
    assert (project / "models/staging/s.sql").is_file()
    assert (project / "src/macros/m.sql").is_file()
    assert (project / "target/x.txt").is_file()  # not even the valid entry was deleted
    assert (outside / "keep.txt").is_file()


def test_clean_refuses_a_link_to_a_folder_outside(make_project, pyflow, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    project = make_project(MODEL, project_yml="name: proj\nclean-targets: [target, out]\n")
    os.symlink(outside, project / "out")

    result = pyflow("clean", "--project-dir", project, expect=1)

    assert "clean-targets names 'out', which is outside the project folder" in result.output
    assert (outside / "keep.txt").read_text() == "keep"


def test_clean_deletes_the_folders_pyflow_writes(make_project, pyflow):
    project = make_project(MODEL)
    pyflow("run", "--project-dir", project)
    assert (project / "target").is_dir()
    assert (project / "logs").is_dir()

    result = pyflow("clean", "--project-dir", project)

    assert "removed target/" in result.output
    assert "removed logs/" in result.output
    assert not (project / "target").exists()
    assert not (project / "logs").exists()
    assert (project / "models/a.sql").is_file()
    assert (project / "pyflow.duckdb").is_file()


PROFILE = "p:\n  outputs:\n    dev:\n      type: duckdb\n      path: warehouse/dev/db.duckdb\n{extra}"


def test_debug_creates_neither_the_database_nor_its_folder(make_project, pyflow):
    project = make_project(
        {**MODEL, "profiles.yml": PROFILE.format(extra="")}, project_yml="name: proj\nprofile: p\n"
    )

    result = pyflow("debug", "--project-dir", project)

    assert (
        f"connection: duckdb database 'db' (the file {project / 'warehouse/dev/db.duckdb'} does not exist "
        "yet: the first run creates it)  [OK]"
    ) in result.output
    assert "All checks passed!" in result.output
    assert not (project / "warehouse").exists()


def test_debug_connects_to_an_existing_database(make_project, pyflow):
    project = make_project(
        {**MODEL, "profiles.yml": PROFILE.format(extra="")}, project_yml="name: proj\nprofile: p\n"
    )
    pyflow("run", "--project-dir", project)

    result = pyflow("debug", "--project-dir", project)

    assert "connection: duckdb database 'db'  [OK]" in result.output


def test_debug_reports_a_bad_extension_without_creating_the_database(make_project, pyflow):
    project = make_project(
        {**MODEL, "profiles.yml": PROFILE.format(extra="      extensions: [no_such_extension_xyz]\n")},
        project_yml="name: proj\nprofile: p\n",
    )

    result = pyflow("debug", "--project-dir", project, expect=1)

    assert "cannot load DuckDB extension 'no_such_extension_xyz'" in result.output
    assert "Fix: check the name under `extensions:` in profiles.yml" in result.output
    assert not (project / "warehouse").exists()
