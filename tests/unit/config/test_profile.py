"""Tests for pyflow.config.profile: finding profiles.yml, choosing the target, env vars."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pyflow.config.profile import find_profiles, load_target
from pyflow.errors import ProjectError


def _profiles(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _simple(folder: Path, schema: str) -> Path:
    return _profiles(folder, f"p:\n  outputs:\n    dev:\n      type: duckdb\n      schema: {schema}\n")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def test_profile_lookup_prefers_profiles_dir_then_project_then_home(
    tmp_path: Path, home: Path, project: Path
) -> None:
    explicit = _simple(tmp_path / "explicit", "from_flag")
    in_project = _simple(project, "from_project")
    in_home = _simple(home / ".pyflow", "from_home")

    assert find_profiles(project, tmp_path / "explicit") == explicit
    assert load_target(project, "p", profiles_dir=tmp_path / "explicit").schema_name == "from_flag"
    assert find_profiles(project, None) == in_project
    assert load_target(project, "p").schema_name == "from_project"
    in_project.unlink()
    assert find_profiles(project, None) == in_home
    assert load_target(project, "p").schema_name == "from_home"
    assert load_target(project, "p").source == str(in_home)


def test_profile_missing_in_profiles_dir_is_an_error(tmp_path: Path, home: Path, project: Path) -> None:
    _simple(project, "ignored")

    with pytest.raises(ProjectError) as info:
        load_target(project, "p", profiles_dir=tmp_path / "nowhere")

    assert info.value.code == "no-profile"
    assert info.value.path == str(tmp_path / "nowhere" / "profiles.yml")
    assert "--profiles-dir" in (info.value.hint or "")


def test_profile_absent_means_duckdb_in_the_project_folder(home: Path, project: Path) -> None:
    target = load_target(project, None)

    assert target.name == "dev"
    assert target.type == "duckdb"
    assert target.profile is None
    assert target.source == "default"
    assert target.config.path == str(project / "pyflow.duckdb")
    assert target.schema_name == "main"
    assert target.threads == 4


def test_profile_absent_with_a_named_target_is_an_error(home: Path, project: Path) -> None:
    assert load_target(project, None, "dev").config.path == str(project / "pyflow.duckdb")
    with pytest.raises(ProjectError) as info:
        load_target(project, None, "prod")

    assert info.value.code == "no-profile"
    assert "'prod'" in info.value.message


TWO_TARGETS = """
    p:
      target: dev
      outputs:
        dev:
          type: duckdb
          path: dev.duckdb
        prod:
          type: duckdb
          path: /data/prod.duckdb
          schema: analytics
          threads: 8
"""


def test_profile_uses_the_profile_default_target(home: Path, project: Path) -> None:
    _profiles(project, TWO_TARGETS)

    target = load_target(project, "p")

    assert (target.name, target.profile) == ("dev", "p")
    assert target.config.path == str(project / "dev.duckdb")


def test_profile_target_flag_overrides_the_default(home: Path, project: Path) -> None:
    _profiles(project, TWO_TARGETS)

    target = load_target(project, "p", "prod")

    assert target.name == "prod"
    assert target.config.path == "/data/prod.duckdb"
    assert (target.schema_name, target.threads) == ("analytics", 8)


def test_profile_single_output_is_chosen_without_a_target_key(home: Path, project: Path) -> None:
    _simple(project, "only")

    assert load_target(project, "p").name == "dev"


def test_profile_memory_path_is_not_made_absolute(home: Path, project: Path) -> None:
    _profiles(project, "p:\n  outputs:\n    mem:\n      type: duckdb\n      path: ':memory:'\n")

    assert load_target(project, "p").config.path == ":memory:"


def test_profile_unknown_target_suggests_outputs(home: Path, project: Path) -> None:
    path = _profiles(project, TWO_TARGETS)

    with pytest.raises(ProjectError) as info:
        load_target(project, "p", "prd")

    err = info.value
    assert err.code == "no-target"
    assert (err.path, err.line) == (str(path), 3)
    assert err.suggestions == ["prod"]
    assert "dev, prod" in (err.hint or "")


def test_profile_unknown_profile_name_suggests_close_ones(home: Path, project: Path) -> None:
    _profiles(project, TWO_TARGETS)

    with pytest.raises(ProjectError) as info:
        load_target(project, "pp")

    assert info.value.code == "no-profile"
    assert info.value.suggestions == ["p"]


def test_profile_without_profile_name_needs_exactly_one_profile(home: Path, project: Path) -> None:
    _profiles(project, TWO_TARGETS)
    assert load_target(project, None).profile == "p"

    _profiles(project, TWO_TARGETS + "    q:\n      outputs: {}\n")
    with pytest.raises(ProjectError) as info:
        load_target(project, None)
    assert info.value.code == "no-profile"
    assert "2 profiles" in info.value.message


def test_profile_renders_env_var_with_and_without_default(
    home: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYFLOW_TEST_SCHEMA", "from_env")
    monkeypatch.delenv("PYFLOW_TEST_ABSENT", raising=False)
    _profiles(
        project,
        """
        p:
          outputs:
            dev:
              type: duckdb
              schema: "{{ env_var('PYFLOW_TEST_SCHEMA') }}"
              path: "{{ env_var('PYFLOW_TEST_ABSENT', 'fallback.duckdb') }}"
        """,
    )

    target = load_target(project, "p")

    assert target.schema_name == "from_env"
    assert target.config.path == str(project / "fallback.duckdb")


def test_profile_missing_env_var_names_file_line_and_variable(
    home: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYFLOW_TEST_ABSENT", raising=False)
    path = _profiles(
        project,
        """
        p:
          outputs:
            dev:
              type: duckdb
              settings:
                memory_limit: "{{ env_var('PYFLOW_TEST_ABSENT') }}"
        """,
    )

    with pytest.raises(ProjectError) as info:
        load_target(project, "p")

    err = info.value
    assert err.code == "missing-env-var"
    assert (err.path, err.line) == (str(path), 6)
    assert "PYFLOW_TEST_ABSENT" in err.message


def test_profile_unknown_target_type_suggests_known_ones(home: Path, project: Path) -> None:
    path = _profiles(project, "p:\n  outputs:\n    dev:\n      type: duckbd\n")

    with pytest.raises(ProjectError) as info:
        load_target(project, "p")

    err = info.value
    assert err.code == "unknown-target-type"
    assert (err.path, err.line) == (str(path), 4)
    assert err.suggestions == ["duckdb"]


def test_profile_invalid_value_names_its_line(home: Path, project: Path) -> None:
    path = _profiles(project, "p:\n  outputs:\n    dev:\n      type: duckdb\n      threads: 0\n")

    with pytest.raises(ProjectError) as info:
        load_target(project, "p")

    err = info.value
    assert err.code == "invalid-config"
    assert (err.path, err.line) == (str(path), 5)
    assert "'p.outputs.dev.threads'" in err.message


def test_profile_unknown_key_lists_the_valid_keys(home: Path, project: Path) -> None:
    _profiles(project, "p:\n  outputs:\n    dev:\n      type: duckdb\n      treads: 2\n")

    with pytest.raises(ProjectError) as info:
        load_target(project, "p")

    err = info.value
    assert err.suggestions == ["threads"]
    assert err.line == 5
    for key in ("path", "schema", "threads", "type"):
        assert key in (err.hint or "")


def test_profile_public_dict_names_the_target(home: Path, project: Path) -> None:
    _profiles(project, TWO_TARGETS)

    shown = load_target(project, "p", "prod").public_dict()

    assert shown["name"] == "prod"
    assert shown["profile"] == "p"
    assert shown["type"] == "duckdb"
    assert shown["schema"] == "analytics"
