"""pyflow: dbt-style data transformations as typed Python functions returning Ibis expressions.

Importing ``pyflow`` is cheap: it loads no engine driver, no pandas and no Ibis.
"""

from __future__ import annotations

from pyflow.core.configtypes import DataTestConfigDict, ModelConfigDict, SnapshotConfigDict
from pyflow.core.spec import Context, TargetInfo, data_test, generic_test, model, snapshot
from pyflow.errors import PyflowError
from pyflow.version import __version__

__all__ = [
    "Context",
    "DataTestConfigDict",
    "ModelConfigDict",
    "PyflowError",
    "SnapshotConfigDict",
    "TargetInfo",
    "__version__",
    "data_test",
    "generic_test",
    "model",
    "snapshot",
]
