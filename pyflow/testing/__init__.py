"""Run a model against pandas DataFrames on in-memory DuckDB, in plain pytest.

``run_model(project_dir, "dim_customers", inputs={...})`` loads the project once (cached per
folder and vars), loads each input frame into a private in-memory DuckDB with the column types
the input is declared or inferred to have (not guessed from the first row), compiles the model
(Python or SQL) against those tables, runs it, and returns a pandas DataFrame.
"""

from __future__ import annotations

from pyflow.testing.model import ProjectHarness, run_model
from pyflow.testing.steps import incremental_step, model_incremental_step, snapshot_step

__all__ = ["ProjectHarness", "incremental_step", "model_incremental_step", "run_model", "snapshot_step"]
