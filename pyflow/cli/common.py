"""What every ``pyflow`` command shares.

Printing, parsing ``--vars``, mapping errors to exit codes, signals, opening a Session,
executing nodes and the run summary. A module of its own so the command modules (``main`` and the ones that register onto its app)
read straight down to it; ``main`` keeps the commands themselves.
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from pyflow.cli import releasecmd

if TYPE_CHECKING:
    from pyflow.cli.render import Renderer
    from pyflow.runner.events import RunOutcome
    from pyflow.runner.session import Options, Session


def echo(text: str = "", err: bool = False) -> None:
    """Print ``text`` with every secret value masked (stderr with ``err``)."""
    from pyflow.secret import scrub

    typer.echo(scrub(text), err=err)


def parse_vars(raw: str | None) -> dict[str, Any]:
    """``--vars`` as a mapping of names; a mistake is a user error (exit 1) naming ``--vars``."""
    return parse_mapping(raw, "--vars", code="invalid-vars", example='{start_date: "2024-01-01"}')


def parse_mapping(raw: str | None, flag: str, *, code: str, example: str) -> dict[str, Any]:
    """A YAML/JSON mapping of names given to ``flag``; a mistake is a user error (exit 1)."""
    if not raw:
        return {}
    from pyflow.config.yamlfile import load_yaml
    from pyflow.errors import ProjectError, PyflowError

    try:
        doc = load_yaml(None, display=flag, text=raw)
        if not isinstance(doc.data, dict):
            raise ProjectError(
                f"{flag} must be a mapping of names to values",
                path=flag,
                hint=f"write {flag} '{example}'",
                code=code,
            )
        for key in doc.data:
            if not isinstance(key, str):
                raise ProjectError(
                    f"the key {key!r} is not a name",
                    path=flag,
                    line=doc.line_of((key,)),
                    hint=f"quote the key to make it a name: {flag} '{{\"{key}\": ...}}'",
                    code=code,
                )
    except PyflowError as exc:
        echo(f"pyflow: {exc}", err=True)
        raise typer.Exit(1) from None
    return doc.data


def usage_error(message: str) -> NoReturn:
    """A usage mistake: the message on stderr, exit code 2."""
    echo(f"pyflow: {message}", err=True)
    raise typer.Exit(2)


def make_options(
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    vars: str | None,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    threads: int | None = None,
    full_refresh: bool = False,
    fail_fast: bool = False,
    selector: str | None = None,
    indirect_selection: str = "eager",
    state: Path | None = None,
    defer: bool = False,
    favor_state: bool = False,
    defer_state: Path | None = None,
    resource_types: list[str] | None = None,
    exclude_resource_types: list[str] | None = None,
) -> Options:
    """The runner's Options from the command-line values every command shares.

    An unknown ``--resource-type`` / ``--exclude-resource-type`` value is a usage error (exit 2).
    """
    from pyflow.runner.selection import check_resource_types
    from pyflow.runner.session import Options

    for flag, values in (
        ("--resource-type", resource_types),
        ("--exclude-resource-type", exclude_resource_types),
    ):
        if (mistake := check_resource_types(flag, values or ())) is not None:
            usage_error(mistake)
    return Options(
        resource_types=tuple(resource_types or ()),
        exclude_resource_types=tuple(exclude_resource_types or ()),
        state=state,
        defer_state=defer_state,
        defer=defer or favor_state,
        favor_state=favor_state,
        selector=selector,
        indirect_selection=indirect_selection,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        vars=parse_vars(vars),
        select=tuple(select or ()),
        exclude=tuple(exclude or ()),
        threads=threads,
        full_refresh=full_refresh,
        fail_fast=fail_fast,
    )


@contextmanager
def map_errors(debug: bool, log_format: str = "text", render: Renderer | None = None) -> Iterator[None]:
    """Map errors to exit codes: user error 1 (one message), internal error 3 (traceback).

    With ``--log-format json`` each also ends the output with an ``error`` event (through
    ``render``, which stamps the invocation id).
    """
    from pyflow.errors import PyflowError

    if log_format == "json" and render is None:
        from pyflow.cli.render import Renderer

        render = Renderer("json")
    try:
        try:
            yield
        finally:
            if render is not None:
                render.close()  # erase a live progress line before any message
    except typer.Exit:
        raise
    except PyflowError as exc:
        if debug:  # each error of a group with its own traceback (e.g. `compile` of several models)
            for err in [*getattr(exc, "errors", []), exc]:
                echo("".join(traceback.format_exception(err)).rstrip(), err=True)
        if log_format == "json" and render is not None:
            render.error({**exc.to_dict(), "text": str(exc)})
        else:
            echo(f"pyflow: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        echo("pyflow: interrupted", err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:
        raise
    except Exception as exc:
        text = "pyflow: internal error (a bug in pyflow). Please report it with the traceback above."
        echo(traceback.format_exc().rstrip(), err=True)
        echo(text, err=True)
        if log_format == "json" and render is not None:
            render.error(
                {
                    "code": "internal",
                    "message": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                    "text": text,
                },
                internal=True,
            )
        raise typer.Exit(3) from None


@contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGTERM into the same clean cancel as Ctrl-C."""

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def warn_event(event: Any) -> None:
    """Print warning events to stderr (commands whose stdout is their result: ls, compile)."""
    if getattr(event, "level", "") == "warn":
        echo(f"[WARNING] {event.text}", err=True)


def open_session(opts: Options, renderer: Callable[[Any], None]) -> Session:
    """A runner Session over ``opts``, its events rendered by ``renderer``."""
    from pyflow.runner.session import Session

    return Session(opts, emit=renderer)


def compiled_line(compiled: dict[str, Any], folder: Path) -> str:
    """The line ``pyflow compile`` ends with.

    ``Compiled 7 model(s) and 1 snapshot(s) (5 unchanged) to target/compiled``: errors
    (``PyflowError`` values) are not counted; snapshots are named only when there are some.
    """
    from pyflow.errors import PyflowError

    ok = {uid: v for uid, v in compiled.items() if not isinstance(v, PyflowError)}
    snapshots = sum(1 for uid in ok if uid.startswith("snapshot."))
    cached = sum(1 for v in ok.values() if v.from_cache)
    counts = f"{len(ok) - snapshots} model(s)" + (f" and {snapshots} snapshot(s)" if snapshots else "")
    return f"Compiled {counts} ({cached} unchanged) to {folder}"


def print_summary(render: Any, outcome: RunOutcome, debug: bool = False) -> None:
    """The end of a run as dbt prints it: counts, then every error and warning."""
    errors = [r for r in outcome.results if r.status in ("error", "fail")]
    warnings = [r for r in outcome.results if r.status == "warn"]
    cancelled, skipped = outcome.count("cancelled"), outcome.count("skipped")
    render.line("")
    render.line(f"Finished running {len(outcome.results)} node(s) in {outcome.elapsed:.2f}s.")
    if outcome.cancelled:
        render.line(f"The run was cancelled: {cancelled} node(s) cancelled, {skipped} skipped.", "warn")
    elif cancelled:
        render.line(f"--fail-fast stopped the run: {cancelled} node(s) cancelled.", "warn")
    if errors:
        render.line("")
        render.line(f"Completed with {len(errors)} error(s):", "error")
        for r in errors:
            render.line("")
            render.line(f"{r.traceback}{r.message}" if debug and r.traceback else r.message, "error")
    elif cancelled or outcome.cancelled:
        render.line("")
        render.line("Did not complete: the run was cancelled.", "warn")
    else:
        render.line("")
        render.line(
            "Completed successfully" if not warnings else f"Completed with {len(warnings)} warning(s):"
        )
    for r in warnings:
        render.line("")
        render.line(r.message, "warn")
    render.line("")
    ok = outcome.count("success") + outcome.count("pass")
    also = f"CANCELLED={cancelled} " if cancelled else ""
    render.line(
        f"Done. PASS={ok} WARN={len(warnings)} ERROR={len(errors)} SKIP={skipped} {also}"
        f"TOTAL={len(outcome.results)}"
    )
    from pyflow.runner.nodecost import format_bytes, scanned_total

    if (scanned := scanned_total(outcome.results)) is not None:  # the engine reports it (Trino, Athena)
        render.line(f"Scanned {format_bytes(scanned)} in total.")
    if outcome.errors:  # after the nodes: on-run-end hooks, artifacts not written (a full disk)
        render.line("")
        render.line(f"But {len(outcome.errors)} step(s) outside the nodes failed:", "error")
        for exc in outcome.errors:
            render.line("")
            render.line(str(exc), "error")


def execute_command(
    command: str,
    opts: Options,
    log_format: str,
    debug: bool,
    preface: str = "",
    blue_green: bool | None = None,
) -> None:
    """Run ``command`` (run, seed, snapshot, test, build) over ``opts``: log lines, summary, exit code."""
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        usage_error(f"--log-format must be text or json, not '{log_format}'")
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with map_errors(debug, log_format, render), handle_signals():
        from pyflow.version import __version__

        render.line(f"Running with pyflow={__version__}")
        if preface:
            render.line(preface)
        with releasecmd.open_session(opts, render, blue_green) as session:
            from pyflow.runner.listing import found_line
            from pyflow.runner.openlineage import attach

            attach(session, command)  # OpenLineage events, when configured
            render.line(found_line(session.project))
            outcome = session.execute(command)
        print_summary(render, outcome, debug)
        releasecmd.print_note(render, session)
        if outcome.cancelled:
            raise typer.Exit(130)
        if not outcome.ok:
            raise typer.Exit(1)
