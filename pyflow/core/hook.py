"""SQL hooks as config: ``pre_hook``/``post_hook`` of a node and the project's ``on-run-start``/``on-run-end``.

A hook is a SQL statement (a Jinja template, rendered when it runs) written as a string, a
list of strings, or dbt's mapping ``{sql: ..., transaction: true}``. This module only reads
and normalizes them; running them is the runner's job (:mod:`pyflow.runner.hooks`).

dbt's spellings are accepted: ``pre-hook``/``post-hook`` (dbt_project.yml trees, YAML
``config:``) and ``pre_hook``/``post_hook`` (``config(...)`` in SQL, ``@model(...)``). Hooks
accumulate across config layers (project tree first, then YAML properties, then the file),
as dbt's do.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

HOOK_KEYS: dict[str, str] = {
    "pre-hook": "pre_hook",
    "post-hook": "post_hook",
    "pre_hook": "pre_hook",
    "post_hook": "post_hook",
}
"""Every spelling of a node hook key -> the config field name."""


class Hook(BaseModel):
    """One hook: a SQL statement template, and whether dbt runs it inside the model's transaction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql: str
    transaction: bool = True
    """As in dbt: run inside the transaction that builds the node (true), or before its BEGIN /
    after its COMMIT (false); see docs/configuration.md#hooks."""


def hook_list(value: Any) -> list[Any]:
    """A hook config value as a list of entries (``None`` -> ``[]``, a string or mapping -> ``[it]``).

    Entries that are neither strings nor mappings are kept, so validation reports them.
    """
    if value is None:
        return []
    if isinstance(value, str | dict | Hook):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def normalize_hooks(value: Any) -> Any:
    """A hook config value as a list of ``{sql, transaction}`` mappings (for pydantic validation)."""
    out: list[Any] = []
    for entry in hook_list(value):
        if isinstance(entry, str):
            if entry.strip():
                out.append({"sql": entry})
        elif isinstance(entry, Hook):
            out.append(entry.model_dump())
        else:
            out.append(entry)
    return out


def hook_key(key: str) -> str:
    """The config field name of a key (``pre-hook`` -> ``pre_hook``); other keys unchanged."""
    return HOOK_KEYS.get(key, key)
