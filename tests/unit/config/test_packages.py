"""packages.yml entries and installed packages read from disk (no network)."""

from __future__ import annotations

from pathlib import Path

from pyflow.config.packages import PackageSpec, installed_packages, missing_packages, read_specs


def _spec(kind: str, location: str, subdirectory: str | None = None) -> PackageSpec:
    return PackageSpec(kind, location, None, subdirectory, "packages.yml", 2)


def test_names_a_package_is_expected_to_install_as():
    assert _spec("package", "dbt-labs/dbt_utils").candidate_names == ("dbt_utils",)
    assert _spec("git", "https://github.com/dbt-labs/dbt-utils.git").candidate_names == ("dbt_utils", "utils")
    assert "audit_helper" in _spec("git", "https://github.com/dbt-labs/dbt-audit-helper.git").candidate_names
    assert _spec("git", "https://x/mono.git", subdirectory="pkgs/my-pkg").expected_name == "my_pkg"


def test_read_specs_reports_an_entry_without_a_source_at_its_line(tmp_path: Path):
    (tmp_path / "packages.yml").write_text("packages:\n  - local: ../a\n  - version: 1.0\n")
    specs, errors = read_specs(tmp_path)
    assert [(s.kind, s.location, s.line) for s in specs] == [("local", "../a", 2)]
    (err,) = errors
    assert (err.path, err.line, err.code) == ("packages.yml", 3, "invalid-packages")


def test_dependencies_yml_is_read_when_there_is_no_packages_yml(tmp_path: Path):
    (tmp_path / "dependencies.yml").write_text(
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n"
    )
    (spec,), errors = read_specs(tmp_path)
    assert (spec.kind, spec.revision, spec.path, errors) == ("package", "1.3.0", "dependencies.yml", [])


def test_installed_packages_read_names_paths_and_scoped_vars(tmp_path: Path):
    base = tmp_path / "dbt_packages"
    (base / "utils").mkdir(parents=True)
    (base / "utils" / "dbt_project.yml").write_text(
        "name: my_utils\nmacro-paths: [m]\nvars:\n  a: 1\n  my_utils: {b: 2}\n  other_pkg: {c: 3}\n"
    )
    (base / "not_a_package").mkdir()
    (pkg,), errors = installed_packages(tmp_path, "dbt_packages")
    assert errors == []
    assert (pkg.name, pkg.display, pkg.macro_paths) == ("my_utils", "dbt_packages/utils", ("m",))
    assert pkg.vars == {"a": 1, "b": 2, "other_pkg": {"c": 3}}


def test_a_package_without_a_name_or_installed_twice_is_an_error(tmp_path: Path):
    base = tmp_path / "dbt_packages"
    for folder, text in {"a": "name: p\n", "b": "name: p\n", "c": "version: 1\n"}.items():
        (base / folder).mkdir(parents=True)
        (base / folder / "dbt_project.yml").write_text(text)
    packages, errors = installed_packages(tmp_path, "dbt_packages")
    assert [p.name for p in packages] == ["p"]
    assert sorted(e.path for e in errors) == [
        "dbt_packages/b/dbt_project.yml",
        "dbt_packages/c/dbt_project.yml",
    ]
    assert {e.code for e in errors} == {"invalid-package"}


def test_missing_local_package_is_named_by_its_project_name(tmp_path: Path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "dbt_project.yml").write_text("name: shared_macros\n")
    (err,) = missing_packages(tmp_path, [_spec("local", "lib")], [], "dbt_packages")
    assert err.code == "package-not-installed" and "dbt_packages/shared_macros/" in str(err.hint)
