"""What ``pyflow compile`` does: a witness of the last compile first, then the full path.

``main`` declares the command's options and calls :func:`compile_project`. An unchanged project
is answered from the witness (:mod:`pyflow.runner.compilewitness`) without loading it; any
other compile loads the project, compiles the selection and, when nothing in it needed
compiling anew, writes the witness for the next one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyflow.cli.common import compiled_line, echo, make_options, map_errors, open_session, warn_event
from pyflow.runner import compilewitness

_NAME = re.compile(r"[\w.-]+")
"""A plain node name (``dim.v2`` included): ``--select`` of one such prints that node's SQL."""


def compile_project(
    request: compilewitness.Request,
    *,
    state: Path | None,
    defer: bool,
    favor_state: bool,
    defer_state: Path | None,
    debug: bool,
    quiet: bool,
) -> None:
    """Compile the selection (or replay the last compile of an unchanged project); errors raise."""
    started = compilewitness.now_ns()
    named = _one_name(request)  # dbt's interactive compile: that node's SQL is printed too
    witnessed = not debug and state is None and defer_state is None and not (defer or favor_state)
    if witnessed and (done := compilewitness.replay(request)) is not None:
        if not quiet:
            for text in done.warnings:
                warn_event(_Warning(text))
            echo(done.line)
        if done.shown is not None:
            _print_sql(*done.shown, quiet)
        return
    from pyflow.errors import ErrorGroup, PyflowError

    compilewitness.forget(request)  # whatever happens next, the last compile's witness is out of date

    r = request
    opts = make_options(r.project_dir, r.profiles_dir, r.target, r.vars, list(r.select), list(r.exclude),
                        selector=r.selector, state=state, defer=defer, favor_state=favor_state,
                        defer_state=defer_state)  # fmt: skip
    warnings: list[str] = []

    def render(event: Any) -> None:
        if getattr(event, "level", "") == "warn":
            warnings.append(str(event.text))
        if not quiet:
            warn_event(event)

    with map_errors(debug):
        with open_session(opts, render) as session:
            compiled = session.compile()
            failures = [v for v in compiled.values() if isinstance(v, PyflowError)]
            line = compiled_line(compiled, session.project.target_dir / "compiled")
            if not quiet:
                echo(line)
            shown = None
            picked = [(uid, v) for uid, v in compiled.items() if session.project.node(uid).name == named]
            if len(picked) == 1 and not isinstance(item := picked[0][1], PyflowError):
                file, sql = session.compiled_file(picked[0][0], item)
                shown = (f"Compiled node '{named}' is:", file)
                _print_sql(shown[0], sql, quiet)
            if witnessed:
                cfg = session.project.config
                folders = [*cfg.model_paths, *cfg.seed_paths, *cfg.snapshot_paths, *cfg.macro_paths]
                cached = all(v.from_cache for v in compiled.values() if not isinstance(v, PyflowError))
                compilewitness.record(
                    request,
                    started_ns=started,
                    target_dir=session.project.target_dir,
                    log_dir=session.root / cfg.log_path,
                    target_name=session.target.name,
                    config_paths=[*folders, *cfg.test_paths, cfg.packages_install_path],
                    eligible=not failures
                    and cached
                    and not session.adapter.connected
                    and not compilewitness.reads_outside(session.compiler),
                    warnings=warnings,
                    line=line,
                    manifest=not session.project.partial,
                    shown=shown,
                )
        if failures:
            raise failures[0] if len(failures) == 1 else ErrorGroup(failures)


def compile_inline(request: compilewitness.Request, text: str, *, debug: bool, quiet: bool) -> None:
    """``pyflow compile --inline``: print the query rendered against the project; nothing is written."""
    from pyflow.runner.preview import render_inline

    r = request
    with (
        map_errors(debug),
        open_session(make_options(r.project_dir, r.profiles_dir, r.target, r.vars), warn_event) as session,
    ):
        _print_sql("Compiled inline node is:", render_inline(session, text), quiet)


def _one_name(request: compilewitness.Request) -> str | None:
    """The node name of a ``--select`` of exactly one plain name (no method, graph or set operator)."""
    if request.exclude or request.selector or len(request.select) != 1:
        return None
    value = request.select[0].strip()
    return value if _NAME.fullmatch(value) else None


def _print_sql(title: str, sql: str, quiet: bool) -> None:
    """The SQL alone with ``--quiet`` (to redirect to a file), else under ``title``."""
    sql = sql.rstrip("\n")
    echo(sql if quiet else f"{title}\n{sql}")


class _Warning:
    """A replayed warning, shaped as the event :func:`~pyflow.cli.common.warn_event` prints."""

    level = "warn"

    def __init__(self, text: str) -> None:
        self.text = text
