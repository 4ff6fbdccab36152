"""Where OpenLineage events go: a JSON Lines file or an HTTP endpoint (plain JSON, no client).

The destination comes from ``openlineage:`` in pyflow.yml
(:class:`~pyflow.core.lineageconfig.OpenLineageConfig`), else from OpenLineage's standard
environment variables: ``OPENLINEAGE_URL`` (with ``OPENLINEAGE_ENDPOINT`` and
``OPENLINEAGE_API_KEY``) selects HTTP; ``OPENLINEAGE_DISABLED=true`` turns everything off.
A transport raises on failure; the caller turns that into a warning.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pyflow.core.lineageconfig import OpenLineageConfig

DEFAULT_ENDPOINT = "api/v1/lineage"


class Transport(Protocol):
    """Sends one event."""

    def send(self, event: Mapping[str, Any]) -> None:
        """Deliver ``event``; raise on failure."""

    def describe(self) -> str:
        """Where events go, for messages (no secrets)."""


@dataclass
class FileTransport:
    """Appends each event as one line of JSON."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, event: Mapping[str, Any]) -> None:  # noqa: D102
        line = json.dumps(event, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)

    def describe(self) -> str:  # noqa: D102
        return f"file {self.path}"


@dataclass
class HttpTransport:
    """POSTs each event to ``url``/``endpoint`` (``Authorization: Bearer`` when a key is set)."""

    url: str
    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    timeout: float = 5.0

    @property
    def address(self) -> str:
        """The full URL events are posted to."""
        if not self.endpoint:
            return self.url
        return self.url.rstrip("/") + "/" + self.endpoint.lstrip("/")

    def send(self, event: Mapping[str, Any]) -> None:  # noqa: D102
        import urllib.request

        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = json.dumps(event, default=str).encode("utf-8")
        request = urllib.request.Request(self.address, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()

    def describe(self) -> str:  # noqa: D102
        return f"http {self.address}"


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _render(value: str | None, where: str) -> str | None:
    from pyflow.config.profile import render_env

    return None if value is None else str(render_env(value, where))


def transport_for(
    config: OpenLineageConfig | None, root: Path, environ: Mapping[str, str]
) -> Transport | None:
    """The transport events go to, or None when OpenLineage is off (not configured, disabled)."""
    if _true(environ.get("OPENLINEAGE_DISABLED")) or (config is not None and not config.enabled):
        return None
    key = environ.get("OPENLINEAGE_API_KEY") or None
    if config is None:
        url = environ.get("OPENLINEAGE_URL")
        if not url:
            return None
        return HttpTransport(url, environ.get("OPENLINEAGE_ENDPOINT", DEFAULT_ENDPOINT), key)
    if config.transport == "file":
        assert config.path is not None
        return FileTransport(root / config.path)
    url = _render(config.url, "pyflow.yml openlineage url")
    assert url is not None
    api_key = _render(config.api_key, "pyflow.yml openlineage api_key") or key
    return HttpTransport(url, config.endpoint, api_key, config.timeout)


def job_namespace(config: OpenLineageConfig | None, environ: Mapping[str, str]) -> str:
    """The namespace of pyflow's jobs: configured, ``OPENLINEAGE_NAMESPACE``, else ``default``."""
    if config is not None and config.namespace:
        return config.namespace
    return environ.get("OPENLINEAGE_NAMESPACE") or "default"
