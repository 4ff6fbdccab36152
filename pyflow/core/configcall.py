"""dbt's ``config`` in a template: ``config(key=value)`` sets, ``config.get`` / ``require`` read.

A model's SQL, the macros it calls and its hooks read the node's own config with
``config.get('materialized')`` (``None`` or the default when unset) and
``config.require('unique_key')`` (an error naming the model when unset). While the project
loads, the values are those of the ``config()`` calls rendered so far; once loaded, the node's
whole config (its file, its YAML and the project's trees merged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from pyflow.errors import CompileError


class ConfigCall:
    """The ``config`` name of a render: callable, with ``get`` and ``require``."""

    def __init__(
        self,
        values: Callable[[], Mapping[str, Any]],
        model: str,
        record: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Read ``values`` (once, on first use; each time while parsing) for ``get``.

        ``record`` receives the keys of each ``config(...)`` call (None: it renders nothing).
        """
        self._values = values
        self._model = model
        self._record = record

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        """``config(key=value, ...)``: recorded while parsing; renders nothing."""
        if self._record is not None:
            if args and isinstance(args[0], Mapping):
                kwargs = {**args[0], **kwargs}
            self._record(kwargs)
        return ""

    @cached_property
    def _config(self) -> Mapping[str, Any]:
        return self._values()

    def _lookup(self, name: str) -> Any:
        config = self._config if self._record is None else self._values()  # parse: as recorded so far
        for key in (name, name.replace("-", "_")):
            if config.get(key) is not None:
                return config[key]
        return None

    def get(self, name: str, default: Any = None, validator: Any = None) -> Any:
        """The config value of ``name`` (``pre-hook`` or ``pre_hook``), else ``default``."""
        value = self._lookup(name)
        return default if value is None else value

    def require(self, name: str, validator: Any = None) -> Any:
        """The config value of ``name``; a CompileError naming the model when it is not set."""
        value = self._lookup(name)
        if value is None:
            raise CompileError(
                f"config '{name}' is required by the template but not set",
                model=self._model,
                hint=f"set it: {{{{ config({name}=...) }}}} in the model, or {name}: under its "
                "config: in YAML or the project file",
                code="missing-config",
            )
        return value
