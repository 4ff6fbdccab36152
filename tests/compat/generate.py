"""Regenerate the expected files of the compat projects with dbt-duckdb.

    python -m tests.compat.generate ~/.cache/pyflow-compat/bin/dbt [project ...]

``dbt`` is a dbt-core 1.11 executable with dbt-duckdb (the ``compat`` nox session installs one);
every project under ``tests/compat/projects/`` (or the ones named) is built in a temporary copy,
day by day, and its ``expected/`` folder rewritten. Commit the result with the change that
needed it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.compat.harness import PROJECTS, build_days, dbt_builder, write_expected


def main(argv: list[str]) -> int:
    """Regenerate; returns the exit code."""
    if not argv:
        print(__doc__)
        return 2
    dbt = Path(argv[0]).expanduser()
    names = argv[1:] or sorted(p.name for p in PROJECTS.iterdir() if (p / "dbt_project.yml").is_file())
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            captured = build_days(name, Path(tmp), dbt_builder(dbt))
        write_expected(name, captured)
        print(
            f"{name}: {', '.join(f'{d}: {len(c.relations)} relations, {len(c.tests)} tests' for d, c in captured.items())}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
