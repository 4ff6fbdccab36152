"""What ``pyflow compile`` does: a witness of the last compile first, then the full path.

``main`` declares the command's options and calls :func:`compile_project`. An unchanged project
is answered from the witness (:mod:`pyflow.runner.compilewitness`) without loading it; any
other compile loads the project, compiles the selection and, when nothing in it needed
compiling anew, writes the witness for the next one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyflow.cli.common import compiled_line, echo, make_options, map_errors, open_session, warn_event
from pyflow.runner import compilewitness


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
    witnessed = not debug and state is None and defer_state is None and not (defer or favor_state)
    if witnessed and (done := compilewitness.replay(request)) is not None:
        if not quiet:
            for text in done.warnings:
                warn_event(_Warning(text))
            echo(done.line)
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
                )
        if failures:
            raise failures[0] if len(failures) == 1 else ErrorGroup(failures)


class _Warning:
    """A replayed warning, shaped as the event :func:`~pyflow.cli.common.warn_event` prints."""

    level = "warn"

    def __init__(self, text: str) -> None:
        self.text = text
