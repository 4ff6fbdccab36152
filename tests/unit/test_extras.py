"""pyproject's extras: ``test`` (pytest, nothing cloud), ``athena``, ``trino``, ``dev`` (all of it).

A user-facing extra must never pin a package of the user's below what they have: it takes lower
bounds only, and every bound of every requirement admits the version CI tests with
(.ci/constraints.txt), so no bound sits below a current release. The ``test`` extra's whole
installed dependency closure is walked to check it brings in nothing cloud (boto3/botocore cap
python-dateutil below 3).
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[Requirement]] = {
    name: [Requirement(r) for r in reqs] for name, reqs in PROJECT["optional-dependencies"].items()
}
USER_FACING = ("test", "athena", "trino")
CLOUD = {"boto3", "botocore", "aiobotocore", "s3fs", "moto", "pyathena", "trino", "s3transfer"}
ENGINE_DRIVERS = {"athena": {"pyathena", "boto3"}, "trino": {"trino"}}


def _names(reqs: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in reqs}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / ".ci" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.strip().partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_extras_are_exactly_test_athena_trino_and_dev() -> None:
    assert set(EXTRAS) == {"test", "athena", "trino", "dev"}


def test_extras_test_has_pytest_and_nothing_cloud() -> None:
    names = _names(EXTRAS["test"])

    assert "pytest" in names
    assert not names & CLOUD


def test_extras_engine_extras_carry_their_drivers() -> None:
    for engine, drivers in ENGINE_DRIVERS.items():
        assert drivers <= _names(EXTRAS[engine]), engine


def test_extras_dev_includes_every_other_extra() -> None:
    own = [r for r in EXTRAS["dev"] if canonicalize_name(r.name) == "pyflow"]

    assert len(own) == 1
    assert own[0].extras == set(EXTRAS) - {"dev"}


@pytest.mark.parametrize("extra", USER_FACING)
def test_extras_user_facing_take_lower_bounds_only(extra: str) -> None:
    capped = [str(r) for r in EXTRAS[extra] if any(s.operator not in (">=", ">") for s in r.specifier)]

    assert capped == [], f"[{extra}] pins or caps {capped}: a user's newer version would be downgraded"


def test_extras_every_bound_admits_the_version_ci_tests_with() -> None:
    pins = _pins()
    reqs = [Requirement(r) for r in PROJECT["dependencies"]] + [r for rs in EXTRAS.values() for r in rs]
    checked = [r for r in reqs if canonicalize_name(r.name) in pins]
    rejected = [
        f"{r} excludes {pins[canonicalize_name(r.name)]}"
        for r in checked
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]

    assert len(checked) >= 15
    assert rejected == []


def _closure(reqs: list[Requirement]) -> set[str]:
    """Every installed distribution ``reqs`` pull in (markers for this Python evaluated)."""
    seen: set[str] = set()
    todo = [(r, "") for r in reqs]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        if name == "pyflow":
            todo.extend((r, "") for r in (Requirement(d) for d in PROJECT["dependencies"]))
            continue
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            deps = requires(req.name) or []
        except PackageNotFoundError:
            pytest.fail(f"{req.name} is not installed: install pyflow[dev] to run this test")
        for dep in deps:
            parsed = Requirement(dep)
            if parsed.marker is None:
                todo.append((parsed, ""))
            else:
                todo.extend((parsed, e) for e in ("", *sorted(req.extras)))
    return {re.sub(r"\[.*\]$", "", k) for k in seen}


def test_extras_test_pulls_in_nothing_cloud_with_pyflow() -> None:
    closure = _closure([Requirement("pyflow"), *EXTRAS["test"]])

    assert {"pytest", "duckdb", "ibis-framework", "pandas"} <= closure
    assert not closure & CLOUD, sorted(closure & CLOUD)


def test_extras_athena_closure_is_where_the_dateutil_cap_comes_from() -> None:
    """The cap on python-dateutil is botocore's (via [athena]), never pyflow's or [test]'s."""
    capped = {
        name
        for name in _closure([*EXTRAS["athena"]])
        for dep in (requires(name) or [])
        if canonicalize_name(Requirement(dep).name) == "python-dateutil"
        and any(s.operator in ("<", "<=") for s in Requirement(dep).specifier)
    }

    assert capped == {"botocore"}
    assert "python-dateutil" not in _names([Requirement(r) for r in PROJECT["dependencies"]])


def test_extras_are_documented_in_getting_started() -> None:
    text = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    install = text.split("## Install", 1)[1].split("\n## ", 1)[0]

    for extra in EXTRAS:
        assert f"pyflow[{extra}]" in install or f".[{extra}]" in install, extra
