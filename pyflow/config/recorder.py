"""The Jinja context of a SQL model's parse-time render.

It records ``ref``, ``source`` and ``config`` calls instead of resolving them, so dependencies
are known without a database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pyflow.core.configcall import ConfigCall
from pyflow.core.jinjaext import Flags
from pyflow.core.renderdb import RelationText
from pyflow.core.spec import TargetInfo
from pyflow.core.version import ref_call_key
from pyflow.relation import Relation

log = logging.getLogger(__name__)


def _placeholder(schema: str | None, identifier: str) -> RelationText:
    """What ``ref``/``source``/``this`` return during the parse-time render (``.schema`` etc. work)."""
    return RelationText(
        f'"{schema}"."{identifier}"' if schema else f'"{identifier}"', Relation(None, schema, identifier)
    )


class ParseRecorder:
    """The Jinja context used at parse time: records ``ref``, ``source`` and ``config``."""

    def __init__(self, model: str, vars: Mapping[str, Any], target: TargetInfo) -> None:
        self.model = model
        self.vars = vars
        self.target = target
        self.refs: list[str] = []
        self.sources: list[tuple[str, str]] = []
        self.config: dict[str, Any] = {}
        self.env_reads: dict[str, str | None] = {}

    def context(self) -> dict[str, Any]:
        """Names available to the template."""
        from pyflow.core.sqlcontext import base_context

        def ref(*args: str, **kwargs: Any) -> str:
            self.refs.append(ref_call_key(args, kwargs))
            return _placeholder(None, args[-1])

        def source(source_name: str, table_name: str) -> str:
            self.sources.append((source_name, table_name))
            return _placeholder(source_name, table_name)

        ctx = base_context(self.model, self.vars, self.target, datetime.now(UTC), env_reads=self.env_reads)
        ctx.update(
            ref=ref,
            source=source,
            config=ConfigCall(lambda: self.config, self.model, record=self.config.update),
            this=_placeholder(None, self.model),
            is_incremental=lambda: False,
            # dbt's ``model`` while parsing: its name and the config() calls seen so far; any
            # other field reads as empty (the full node is the compile's, runner/renderdb.py)
            model=_Lenient(name=self.model, config=_Lenient(self.config)),
            flags=Flags({"FULL_REFRESH": False, "WHICH": "parse"}),  # dbt's flags while the project loads
            should_full_refresh=lambda: bool(self.config.get("full_refresh")),
        )
        return ctx


class _Lenient(dict[str, Any]):
    """A mapping whose missing keys read as an empty one (a parse-time render only records calls).

    ``model.unique_id`` renders ``{}``, ``model.meta.get('owner', 'x')`` gives ``'x'``,
    ``model.tags | join`` nothing: whatever a template reads of the node, parsing goes on.
    """

    def __missing__(self, key: str) -> Any:
        return _Lenient()
