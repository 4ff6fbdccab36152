"""Run a model against pandas DataFrames on in-memory DuckDB, in plain pytest.

``run_model(project_dir, "dim_customers", inputs={...})`` loads the project once (cached per
folder and vars), loads each input frame into a private in-memory DuckDB with the column types
the input is declared or inferred to have (not guessed from the first row), compiles the model
(Python or SQL) against those tables, runs it, and returns a pandas DataFrame.
``assert_frame_equal`` compares two frames and shows only the differing rows; YAML
``unit_tests:`` run through :mod:`pyflow.testing.unit` (``pyflow test`` and the pytest plugin).

Names are imported on first use, so the pytest plugin (:mod:`pyflow.testing.plugin`) loads
nothing heavy until a test needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyflow.testing.frames import assert_frame_equal
    from pyflow.testing.model import ProjectHarness, run_model
    from pyflow.testing.steps import incremental_step, model_incremental_step, snapshot_step
    from pyflow.testing.unit import run_unit_test

_HOMES = {
    "ProjectHarness": "pyflow.testing.model",
    "assert_frame_equal": "pyflow.testing.frames",
    "incremental_step": "pyflow.testing.steps",
    "model_incremental_step": "pyflow.testing.steps",
    "run_model": "pyflow.testing.model",
    "run_unit_test": "pyflow.testing.unit",
    "snapshot_step": "pyflow.testing.steps",
}

__all__ = [
    "ProjectHarness",
    "assert_frame_equal",
    "incremental_step",
    "model_incremental_step",
    "run_model",
    "run_unit_test",
    "snapshot_step",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'pyflow.testing' has no attribute '{name}'")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
