"""Secrets: which environment variables hold them, and scrubbing their values from output.

A leaf module every layer may use. The convention (docs/configuration.md#secrets):

- an environment variable named ``PYFLOW_SECRET_*`` (or dbt's ``DBT_ENV_SECRET_*``) holds a
  secret. ``env_var()`` may read it only where the value is never persisted: profiles.yml.
  A model, data test, snapshot or inline query reading one is an error (``secret-env-var``);
- every secret value is replaced by :data:`MASK` in what pyflow writes or prints: JSON
  artifacts and caches (:mod:`pyflow.jsonfile`), compiled and run SQL, the log file, console
  lines, JSON events and error messages;
- ``--vars`` whose name looks secret (:func:`is_secret_key`) are stored redacted in
  run_results.json.

Values are read from the environment each time, so nothing is kept in module state.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

SECRET_PREFIXES = ("PYFLOW_SECRET_", "DBT_ENV_SECRET_")
MASK = "*****"
_SECRET_KEY = re.compile(r"secret|passw(or)?d|pwd|token|api_?key|private_?key|credential", re.IGNORECASE)


def is_secret_env(name: str) -> bool:
    """True when the environment variable ``name`` holds a secret by the naming convention."""
    return name.upper().startswith(SECRET_PREFIXES)


def is_secret_key(key: object) -> bool:
    """True when a ``--vars`` key looks like it names a secret (``password``, ``api_token`` ...)."""
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


_BYTE_PREFIXES = tuple(p.encode() for p in SECRET_PREFIXES)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The non-empty values of secret environment variables, longest first.

    Called for every line pyflow prints: on POSIX the names are matched on ``os.environ``'s
    raw bytes and only the secrets' values decoded (a tenth of the time of ``environ.items()``,
    which decodes every variable).
    """
    raw = getattr(os.environ, "_data", None) if environ is None and os.name == "posix" else None
    if isinstance(raw, dict):  # CPython on POSIX: bytes names -> bytes values
        found = {os.fsdecode(v) for k, v in raw.items() if v and k.upper().startswith(_BYTE_PREFIXES)}
    else:
        env = os.environ if environ is None else environ
        found = {value for name, value in env.items() if value and is_secret_env(name)}
    return sorted(found, key=len, reverse=True)


def _forms(value: str) -> list[str]:
    """``value`` as it may appear in text: raw, and escaped inside a JSON string."""
    escaped = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return [value, *sorted(escaped - {value}, key=len, reverse=True)]


def scrub(text: str, values: list[str] | None = None) -> str:
    """``text`` with every secret value (also JSON-escaped, as in a JSON line) replaced by :data:`MASK`."""
    for value in secret_values() if values is None else values:
        for form in _forms(value):
            if form in text:
                text = text.replace(form, MASK)
    return text


def scrub_data(data: Any, values: list[str] | None = None) -> Any:
    """``data`` (JSON-like: dicts, lists, strings ...) with secrets masked in every string."""
    values = secret_values() if values is None else values
    if not values:
        return data
    if isinstance(data, str):
        return scrub(data, values)
    if isinstance(data, Mapping):
        return {scrub_data(k, values): scrub_data(v, values) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [scrub_data(v, values) for v in data]
    return data


def contains_secret(data: Any, values: list[str] | None = None) -> bool:
    """True when some string in ``data`` holds a secret value (such data is not cached)."""
    values = secret_values() if values is None else values
    return bool(values) and scrub_data(data, values) != data


def redact_keys(data: Any) -> Any:
    """``data`` with the value of every secret-looking key (at any depth) replaced by the mask."""
    if isinstance(data, Mapping):
        return {k: MASK if is_secret_key(k) else redact_keys(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_keys(v) for v in data]
    return data


class ScrubbingFormatter(logging.Formatter):
    """A log formatter whose output (message, arguments, traceback) never holds a secret."""

    def format(self, record: logging.LogRecord) -> str:  # noqa: D102
        return scrub(super().format(record))
