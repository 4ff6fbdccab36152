"""pyflow.yml settings about what happens around a run: ``run-history`` and ``on-run-end`` alerts.

Both are plain pydantic models (``extra="forbid"``, frozen), read as part of
:class:`~pyflow.core.nodeconfig.ProjectConfig`. What they drive lives in the runner:
:mod:`pyflow.runner.history` and :mod:`pyflow.runner.alerts` (docs/monitoring.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

HISTORY_TABLE = "pyflow_run_history"
"""The name of the run history table in the target."""

AlertTrigger = Literal["error", "warn", "monitor", "success"]
"""What an alert fires on: a node errored or a test failed; a test warned; a monitor test
warned or failed; the run completed without any of these."""


class RunHistoryConfig(BaseModel):
    """``run-history:`` in pyflow.yml: append every invocation's nodes to ``pyflow_run_history``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    schema_: str | None = Field(default=None, alias="schema", min_length=1)
    """The schema holding the table; unset: ``<target schema>__pyflow``."""
    database: str | None = Field(default=None, min_length=1)
    """The database (catalog) holding it; unset: the target's."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """``run-history: true`` is ``run-history: {enabled: true}``."""
        if isinstance(data, bool):
            return {"enabled": data}
        return data


class AlertConfig(BaseModel):
    """One entry of ``on-run-end:``: where a notification goes (exactly one of webhook, command, file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    webhook: str | None = Field(default=None, min_length=1)
    """URL an HTTP POST of the JSON payload goes to; may use ``{{ env_var('PYFLOW_SECRET_...') }}``."""
    command: tuple[str, ...] | None = Field(default=None, min_length=1)
    """Program and arguments (no shell); the JSON payload arrives on its standard input."""
    file: str | None = Field(default=None, min_length=1)
    """A file (relative to the project) the payload is appended to, one JSON object a line."""
    when: tuple[AlertTrigger, ...] = ("error", "monitor")
    """What it fires on (``on`` would read as ``true`` in YAML)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers of a webhook (values may use ``env_var``)."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds a webhook or command may take."""

    @model_validator(mode="before")
    @classmethod
    def _command_words(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("command"), str):
            import shlex

            return {**data, "command": shlex.split(data["command"])}
        return data

    @model_validator(mode="after")
    def _one_destination(self) -> AlertConfig:
        given = [k for k in ("webhook", "command", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an on-run-end entry has exactly one of `webhook`, `command` or `file`"
                + (f" (this one has {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        """``webhook``, ``command`` or ``file``."""
        return "webhook" if self.webhook else "command" if self.command else "file"

    def label(self, index: int) -> str:
        """How messages name it: its ``name``, else ``<kind> #<n>`` (never the URL: it may be secret)."""
        return self.name or f"{self.kind} #{index + 1}"
