"""The repository's own project files, as a corpus for the scanners' equivalence tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def repo_files(suffix: str) -> list[Path]:
    """Files ending in ``suffix`` under the example, fixture and dbt-compat projects."""
    return [
        p
        for base in ("examples", "tests/fixtures", "tests/compat")
        for p in sorted((REPO / base).rglob(f"*{suffix}"))
        if (REPO / base).exists()
    ]
