"""Engine adapters, chosen by target type through the name -> class table below.

Importing this package imports no driver: each adapter module imports its driver inside
functions, and classes are looked up lazily by dotted path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pyflow.errors import ProjectError, closest

if TYPE_CHECKING:
    from pyflow.adapters.base import Adapter

ADAPTERS: dict[str, str] = {
    "duckdb": "pyflow.adapters.duckdb:DuckDBAdapter",
    "trino": "pyflow.adapters.trino:TrinoAdapter",
    "athena": "pyflow.adapters.athena:AthenaAdapter",
}


def adapter_class(engine: str) -> type[Adapter]:
    """The adapter class for a target ``type``."""
    if engine not in ADAPTERS:
        raise ProjectError(
            f"no adapter for target type '{engine}'",
            suggestions=closest(engine, ADAPTERS),
            hint="use one of: " + ", ".join(sorted(ADAPTERS)),
            code="unknown-target-type",
        )
    module, _, cls = ADAPTERS[engine].partition(":")
    found: type[Adapter] = getattr(importlib.import_module(module), cls)
    return found
