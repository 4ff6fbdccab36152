"""``openlineage:`` in pyflow.yml: where OpenLineage run events go (a file or an HTTP endpoint).

Only the shape is validated here; :mod:`pyflow.runner.openlineage` builds and sends the events.
``url`` and ``api_key`` may use ``{{ env_var('NAME') }}`` (a ``PYFLOW_SECRET_*`` variable is
allowed: the value is rendered only when sending and never written anywhere).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class OpenLineageConfig(BaseModel):
    """Where OpenLineage events of ``run``/``build``/``seed``/``snapshot`` are sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["file", "http"]
    """``file``: append one JSON event a line to ``path``; ``http``: POST each event to ``url``."""
    path: str | None = Field(default=None, min_length=1)
    """The file (relative to the project) events are appended to (``transport: file``)."""
    url: str | None = Field(default=None, min_length=1)
    """Base URL of the OpenLineage API (``transport: http``), e.g. ``http://marquez:5000``."""
    endpoint: str = "api/v1/lineage"
    """Path under ``url`` events are posted to."""
    api_key: str | None = None
    """Sent as ``Authorization: Bearer <api_key>``; default: ``OPENLINEAGE_API_KEY``."""
    timeout: float = Field(default=5.0, gt=0)
    """Seconds an HTTP post may take."""
    namespace: str | None = Field(default=None, min_length=1)
    """The jobs' namespace; default: ``OPENLINEAGE_NAMESPACE``, else ``default``."""
    enabled: bool = True
    """``false`` sends nothing (also when ``OPENLINEAGE_URL`` is set)."""

    @model_validator(mode="after")
    def _destination(self) -> OpenLineageConfig:
        if self.transport == "file" and self.path is None:
            raise ValueError("transport: file needs a `path` (the file events are appended to)")
        if self.transport == "http" and self.url is None:
            raise ValueError("transport: http needs a `url` (the OpenLineage API, e.g. http://marquez:5000)")
        return self
