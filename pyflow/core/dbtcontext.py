"""dbt's plain helper names in a SQL model's Jinja: no graph, no database.

``print``, ``exceptions.raise_compiler_error`` / ``warn``, ``zip``, ``set``, ``local_md5``,
``tojson`` / ``fromjson`` / ``toyaml`` / ``fromyaml``, ``dbt_version`` and the ``modules``
(``datetime``, ``re``, ``itertools``). :func:`helper_names` returns them for
:func:`pyflow.core.sqlcontext.base_context`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import logging
import re
from typing import Any

from pyflow.errors import CompileError

log = logging.getLogger("pyflow.sql")

DBT_VERSION = "1.11.0"
"""The dbt version whose Jinja surface pyflow follows (what ``dbt_version`` renders to)."""


class Exceptions:
    """``exceptions`` in Jinja: stop the render with a message, or log a warning."""

    def __init__(self, model: str) -> None:
        self._model = model

    def raise_compiler_error(self, msg: Any, node: Any = None) -> None:
        """Fail the model's render with ``msg`` (dbt's compilation error)."""
        raise CompileError(
            str(msg),
            model=self._model,
            hint="the template or one of its macros raised this error on purpose: read its message",
            code="raised-compiler-error",
        )

    def warn(self, msg: Any, node: Any = None) -> str:
        """Log ``msg`` as a warning and go on."""
        log.warning("%s: %s", self._model, msg)
        return ""

    def raise_not_implemented(self, msg: Any) -> None:
        """Fail the render: the macro has no implementation for this target."""
        self.raise_compiler_error(msg)


def _set(value: Any, default: Any = None) -> Any:
    try:
        return set(value)
    except TypeError:
        return default


def _zip(*args: Any, default: Any = None) -> Any:
    try:
        return zip(*args, strict=False)
    except TypeError:
        return default


def _tojson(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return json.dumps(value, sort_keys=sort_keys, default=str)
    except (TypeError, ValueError):
        return default


def _fromjson(string: Any, default: Any = None) -> Any:
    try:
        return json.loads(string)
    except (TypeError, ValueError):
        return default


def _toyaml(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    import yaml

    try:
        return yaml.safe_dump(value, sort_keys=sort_keys)
    except yaml.YAMLError:
        return default


def _fromyaml(string: Any, default: Any = None) -> Any:
    import yaml

    try:
        return yaml.safe_load(string)
    except (yaml.YAMLError, AttributeError):
        return default


def _local_md5(value: Any) -> str:
    return hashlib.md5(str(value).encode(), usedforsecurity=False).hexdigest()


def helper_names(model: str) -> dict[str, Any]:
    """The helper names of one model's render."""

    def print_fn(msg: Any) -> str:
        log.info("%s: %s", model, msg)
        return ""

    return {
        "print": print_fn,
        "exceptions": Exceptions(model),
        "zip": _zip,
        "zip_strict": lambda *a: zip(*a, strict=False),
        "set": _set,
        "set_strict": set,
        "local_md5": _local_md5,
        "tojson": _tojson,
        "fromjson": _fromjson,
        "toyaml": _toyaml,
        "fromyaml": _fromyaml,
        "dbt_version": DBT_VERSION,
        "graph": {"nodes": {}, "sources": {}, "exposures": {}, "metrics": {}},  # filled for a run
        "modules": Modules(),
    }


class Modules(dict[str, Any]):
    """dbt's ``modules`` (``datetime``, ``re``, ``itertools``), noting a read of ``datetime``.

    ``modules.datetime.datetime.now()`` renders the time of the render: a model (or a macro it
    calls) that reads ``datetime`` is recompiled at every run, never taken from the compile
    cache (``read_clock``).
    """

    def __init__(self) -> None:
        super().__init__(datetime=_dt, re=re, itertools=itertools)
        self.read_clock = False

    def __getitem__(self, key: str) -> Any:
        if key == "datetime":
            self.read_clock = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # noqa: D102
        if key not in self:
            return default
        return self[key]  # through __getitem__, which notes the read
