"""``pyflow docs serve``: the generated docs folder over HTTP (Python's ``http.server``).

Only the folder written by ``pyflow docs generate`` is served (no directory listing of
anything above it). Requests are logged through :mod:`logging`, not printed.
"""

from __future__ import annotations

import functools
import logging
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pyflow.errors import ProjectError

log = logging.getLogger(__name__)


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the site; request lines go to the log instead of stderr."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".svg": "image/svg+xml",
    }

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("docs serve: " + format, *args)


def site_folder(project_dir: Path, folder: Path | None = None) -> Path:
    """The folder to serve: ``folder``, else the project's ``target/docs/``; it must hold a site."""
    if folder is None:
        from pyflow.config.project import load_project_config

        root = project_dir.resolve()
        cfg, _ = load_project_config(root)
        folder = root / cfg.target_path / "docs"
    if not (folder / "index.html").is_file():
        raise ProjectError(
            "no docs site here: index.html is missing",
            path=str(folder),
            hint="run `pyflow docs generate` first (or pass --folder with the folder it wrote)",
            code="docs-not-generated",
        )
    return folder.resolve()


def make_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server of ``folder`` bound to ``host:port`` (port 0: any free port)."""
    handler = functools.partial(_Handler, directory=str(folder))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ProjectError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            path="--port",
            hint="pick a free port with --port (or stop what is listening there), and a --host of this machine",
            code="docs-serve-address",
        ) from exc
    server.daemon_threads = True
    return server
