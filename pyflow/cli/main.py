"""``pyflow`` commands. Each parses options, opens a runner Session and renders its events."""

from __future__ import annotations

import inspect
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from pyflow.cli import parsecmd, releasecmd
from pyflow.cli.docscmd import CliServices
from pyflow.cli.docscmd import register as register_docs
from pyflow.cli.dryrunview import DryRunOpt, print_dry_run
from pyflow.cli.options import (
    EVENT_TIME_OPTIONS,
    BlueGreenOpt,
    DebugOpt,
    DeferOpt,
    DeferStateOpt,
    ExcludeOpt,
    FailFastOpt,
    FavorStateOpt,
    FullRefreshOpt,
    IndirectOpt,
    LogFormatOpt,
    ProfilesDir,
    ProjectDir,
    SelectOpt,
    SelectorOpt,
    StateOpt,
    TargetOpt,
    ThreadsOpt,
    VarsOpt,
)
from pyflow.cli.selectargs import SelectorListGroup

if TYPE_CHECKING:
    from pyflow.cli.render import Renderer
    from pyflow.runner.session import Options, RunOutcome, Session

app = typer.Typer(
    cls=SelectorListGroup,  # `--select a b`, dbt's space-separated union
    name="pyflow",
    help="Data transformations as Python functions returning Ibis expressions, plus Jinja SQL.",
    no_args_is_help=True,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: loading rich's markdown renderer doubles start-up time
)


def _echo(text: str = "", err: bool = False) -> None:
    from pyflow.secret import scrub

    typer.echo(scrub(text), err=err)


def _parse_vars(raw: str | None) -> dict[str, Any]:
    """``--vars`` as a mapping of names; a mistake is a user error (exit 1) naming ``--vars``."""
    return _parse_mapping(raw, "--vars", code="invalid-vars", example='{start_date: "2024-01-01"}')


def _parse_mapping(raw: str | None, flag: str, *, code: str, example: str) -> dict[str, Any]:
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
        _echo(f"pyflow: {exc}", err=True)
        raise typer.Exit(1) from None
    return doc.data


def _usage(message: str) -> NoReturn:
    _echo(f"pyflow: {message}", err=True)
    raise typer.Exit(2)


def _options(
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
) -> Options:
    from pyflow.runner.session import Options

    return Options(
        state=state,
        defer_state=defer_state,
        defer=defer or favor_state,
        favor_state=favor_state,
        selector=selector,
        indirect_selection=indirect_selection,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        vars=_parse_vars(vars),
        select=tuple(select or ()),
        exclude=tuple(exclude or ()),
        threads=threads,
        full_refresh=full_refresh,
        fail_fast=fail_fast,
    )


@contextmanager
def _errors(debug: bool, log_format: str = "text", render: Renderer | None = None) -> Iterator[None]:
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
                _echo("".join(traceback.format_exception(err)).rstrip(), err=True)
        if log_format == "json" and render is not None:
            render.error({**exc.to_dict(), "text": str(exc)})
        else:
            _echo(f"pyflow: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _echo("pyflow: interrupted", err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:
        raise
    except Exception as exc:
        text = "pyflow: internal error (a bug in pyflow). Please report it with the traceback above."
        _echo(traceback.format_exc().rstrip(), err=True)
        _echo(text, err=True)
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
def _signals() -> Iterator[None]:
    """Turn SIGTERM into the same clean cancel as Ctrl-C."""

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _warn(event: Any) -> None:
    """Print warning events to stderr (commands whose stdout is their result: ls, compile)."""
    if getattr(event, "level", "") == "warn":
        _echo(f"[WARNING] {event.text}", err=True)


def _session(opts: Options, renderer: Callable[[Any], None]) -> Session:
    from pyflow.runner.session import Session

    return Session(opts, emit=renderer)


def _summary(render: Any, outcome: RunOutcome, debug: bool = False) -> None:
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


def _execute(
    command: str,
    opts: Options,
    log_format: str,
    debug: bool,
    preface: str = "",
    blue_green: bool | None = None,
) -> None:
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        _usage(f"--log-format must be text or json, not '{log_format}'")
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with _errors(debug, log_format, render), _signals():
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
        _summary(render, outcome, debug)
        releasecmd.print_note(render, session)
        if outcome.cancelled:
            raise typer.Exit(130)
        if not outcome.ok:
            raise typer.Exit(1)


def _execution_command(command: str, doc: str, *, full_refresh: bool) -> Callable[..., None]:
    """A command that executes nodes (run, seed, snapshot, test, build): one signature for all.

    Typer reads the options from ``__signature__``, so the five commands share one definition
    and cannot drift apart; ``--full-refresh`` is offered only where it means something.
    """
    options: list[tuple[str, Any, Any]] = [
        ("project_dir", ProjectDir, Path(".")),
        ("profiles_dir", ProfilesDir, None),
        ("target", TargetOpt, None),
        ("vars", VarsOpt, None),
        ("select", SelectOpt, None),
        ("exclude", ExcludeOpt, None),
        ("selector", SelectorOpt, None),
        *([("indirect_selection", IndirectOpt, "eager")] if command in ("test", "build") else []),
        ("state", StateOpt, None),
        ("defer", DeferOpt, False),
        ("favor_state", FavorStateOpt, False),
        ("defer_state", DeferStateOpt, None),
        ("threads", ThreadsOpt, None),
        *([("full_refresh", FullRefreshOpt, False)] if full_refresh else []),
        *([("blue_green", BlueGreenOpt, None)] if command != "test" else []),
        ("fail_fast", FailFastOpt, False),
        *(EVENT_TIME_OPTIONS if command in ("run", "build") else []),
        *([("dry_run", Annotated[bool, DryRunOpt], False)] if command in ("run", "build") else []),
        ("log_format", LogFormatOpt, "text"),
        ("debug", DebugOpt, False),
    ]

    def callback(**kw: Any) -> None:
        opts = _options(
            kw["project_dir"], kw["profiles_dir"], kw["target"], kw["vars"], kw["select"], kw["exclude"],
            kw["threads"], kw.get("full_refresh", False), kw["fail_fast"], kw["selector"],
            kw.get("indirect_selection", "eager"), kw["state"], kw["defer"], kw["favor_state"],
            kw["defer_state"],
        )  # fmt: skip
        if kw.get("event_time_start") or kw.get("event_time_end"):
            from pyflow.runner.microbatch import with_event_times

            opts = with_event_times(opts, kw.get("event_time_start"), kw.get("event_time_end"))
        if kw.get("dry_run"):  # nothing runs: the plan, with the engine's estimates where it gives them
            with _errors(kw["debug"]):
                print_dry_run(command, opts, kw["log_format"], _echo, _warn)
            return
        _execute(command, opts, kw["log_format"], kw["debug"], blue_green=kw.get("blue_green"))

    kind = inspect.Parameter.KEYWORD_ONLY
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, kind, default=default, annotation=ann) for name, ann, default in options]
    )
    callback.__doc__ = doc
    callback.__name__ = command
    return callback


for _name, _doc, _refresh in (
    ("run", "Build the selected models in DAG order.", True),
    ("seed", "Load the selected CSV seeds into tables.", True),
    ("snapshot", "Record changes of the selected snapshots' sources as SCD type 2 versions.", False),
    ("test", "Run the data tests and unit tests of the selected nodes (and selected tests).", False),
    ("build", "Load seeds, take snapshots and build models, and test them, in DAG order.", True),
):
    app.command(_name)(_execution_command(_name, _doc, full_refresh=_refresh))


@app.command()
def retry(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    threads: ThreadsOpt = None,
    log_format: LogFormatOpt = "text",
    debug: DebugOpt = False,
) -> None:
    """Rerun the nodes that failed, were skipped or cancelled in the last run, with its flags."""
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        _usage(f"--log-format must be text or json, not '{log_format}'")
    with _errors(debug, log_format):
        from pyflow.runner.retry import plan_retry

        plan = plan_retry(
            project_dir, profiles_dir, target, None if vars is None else _parse_vars(vars), threads
        )
    if plan.options is None:
        Renderer(log_format).line(plan.message)
        return
    _execute(plan.command, plan.options, log_format, debug, preface=plan.message)


@app.command("run-operation")
def run_operation(
    macro: Annotated[str, typer.Argument(help="The macro to call (a macro of macros/).")],
    args: Annotated[
        str | None,
        typer.Option("--args", help="YAML/JSON mapping of the macro's keyword arguments, e.g. '{days: 7}'."),
    ] = None,
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    log_format: LogFormatOpt = "text",
    debug: DebugOpt = False,
) -> None:
    """Call a project macro against the target (it may run queries); prints only what it logs."""
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        _usage(f"--log-format must be text or json, not '{log_format}'")
    kwargs = _parse_mapping(args, "--args", code="invalid-args", example="{days: 7}")
    opts = _options(project_dir, profiles_dir, target, vars)
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with _errors(debug, log_format, render), _signals():
        from pyflow.version import __version__

        render.line(f"Running with pyflow={__version__}")
        with _session(opts, render) as session:
            from pyflow.runner.operation import run_operation as call

            call(session, macro, kwargs)


@app.command("clone")
def clone(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    selector: SelectorOpt = None,
    state: StateOpt = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Replace relations that exist in the target already.")
    ] = False,
    log_format: LogFormatOpt = "text",
    debug: DebugOpt = False,
) -> None:
    """Create views of the selected nodes of the --state target in the current target.

    No supported engine has a zero-copy table clone (DuckDB, Trino with Iceberg, Hive or
    memory catalogs, Athena), so every clone is a view selecting from the state's relation.
    """
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        _usage(f"--log-format must be text or json, not '{log_format}'")
    opts = _options(project_dir, profiles_dir, target, vars, select, exclude, None, full_refresh,
                    selector=selector, state=state)  # fmt: skip
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with _errors(debug, log_format, render):
        from pyflow.runner.clone import clone as clone_nodes

        with _session(opts, render) as session:
            outcome = clone_nodes(session)
        _summary(render, outcome, debug)
        if not outcome.ok:
            raise typer.Exit(1)


@app.command("compile")
def compile_(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    selector: SelectorOpt = None,
    state: StateOpt = None,
    defer: DeferOpt = False,
    favor_state: FavorStateOpt = False,
    defer_state: DeferStateOpt = None,
    debug: DebugOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Write each selected model's SQL to target/compiled/ without running anything."""
    from pyflow.errors import ErrorGroup, PyflowError

    opts = _options(project_dir, profiles_dir, target, vars, select, exclude, selector=selector,
                    state=state, defer=defer, favor_state=favor_state, defer_state=defer_state)  # fmt: skip
    with _errors(debug):
        with _session(
            opts,
            (lambda e: None) if quiet else _warn,
        ) as session:
            compiled = session.compile()
            failures = [v for v in compiled.values() if isinstance(v, PyflowError)]
            if not quiet:
                done = len(compiled) - len(failures)
                cached = sum(1 for v in compiled.values() if not isinstance(v, PyflowError) and v.from_cache)
                _echo(
                    f"Compiled {done} model(s) ({cached} unchanged) to {session.project.target_dir / 'compiled'}"
                )
        if failures:
            raise failures[0] if len(failures) == 1 else ErrorGroup(failures)


@app.command("ls")
def ls(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    selector: SelectorOpt = None,
    indirect_selection: IndirectOpt = "eager",
    state: StateOpt = None,
    debug: DebugOpt = False,
    output: Annotated[str, typer.Option("--output", "-o", help="name, path, selector or json.")] = "name",
    output_keys: Annotated[
        list[str] | None, typer.Option("--output-keys", help="Keys of each --output json object.")
    ] = None,
    resource_type: Annotated[
        list[str] | None,
        typer.Option("--resource-type", help="model, seed, snapshot, source, test, unit_test or all."),
    ] = None,
) -> None:
    """List the selected nodes: models, seeds, snapshots, sources, data tests and unit tests."""
    from pyflow.runner import listing

    keys = listing.split_keys(output_keys or ())
    mistake = listing.check_choices(output, resource_type or (), keys)
    if mistake:
        _usage(mistake)
    opts = _options(project_dir, profiles_dir, target, vars, select, exclude, selector=selector,
                    indirect_selection=indirect_selection, state=state)  # fmt: skip
    with _errors(debug), _session(opts, _warn) as session:
        nodes = listing.keep(session.list_nodes(), resource_type or ())
        text = "\n".join(listing.lines(nodes, output, session.project.graph.parents, keys))
        if text:  # one write (and one secret scrub) for all lines: 10,000 nodes list at once
            _echo(text)
        if not nodes:
            _echo("[WARNING] No nodes selected!", err=True)


@app.command()
def show(
    model: Annotated[str | None, typer.Argument(help="Model or seed to preview.")] = None,
    inline: Annotated[
        str | None, typer.Option("--inline", help="A query to preview instead (Jinja allowed).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show.")] = 5,
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table or json.")] = "table",
    debug: DebugOpt = False,
    lineage: Annotated[
        str | None, typer.Option("--lineage", help="MODEL.COLUMN: where the column comes from and goes.")
    ] = None,
) -> None:
    """Preview the rows a model (or an inline query) returns, or a column's lineage."""
    if lineage is not None and (model is not None or inline is not None):
        _usage("--lineage MODEL.COLUMN takes no model argument and no --inline")
    if lineage is None and (model is None) == (inline is None):
        _usage('give a model name or --inline "select ..." (one of the two)')
    if output not in ("table", "json"):
        _usage(f"--output must be table or json, not '{output}'")
    if lineage is not None:
        from pyflow.cli.lineageview import lineage_text

        with _errors(debug), _session(_options(project_dir, profiles_dir, target, vars), _warn) as session:
            _echo(lineage_text(session, lineage, output))
        return
    with _errors(debug):
        with _session(_options(project_dir, profiles_dir, target, vars), lambda e: None) as session:
            columns, rows = session.show(model, inline, limit)
        if output == "json":
            _echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Previewing {model or 'inline query'}", title_justify="left", min_width=30)
        for c in columns:
            table.add_column(c)
        for r in rows:
            table.add_row(*("NULL" if v is None else str(v) for v in r))
        Console(width=max(100, os.get_terminal_size().columns if sys.stdout.isatty() else 160)).print(table)


@app.command()
def monitor(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many recent runs to show.")] = 10,
    stale_after: Annotated[
        float,
        typer.Option(
            "--stale-after", min=0, help="Hours without a successful build that make a table stale."
        ),
    ] = 24.0,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json.")] = "text",
    debug: DebugOpt = False,
) -> None:
    """Show recent runs from the run history: trends per model, slowest, stale, failing monitors."""
    if output not in ("text", "json"):
        _usage(f"--output must be text or json, not '{output}'")
    with (
        _errors(debug),
        _session(_options(project_dir, profiles_dir, target, None), lambda e: None) as session,
    ):
        from pyflow.runner.monitorreport import monitor_report

        report = monitor_report(session, runs, stale_after)
    if output == "json":
        _echo(json.dumps(report, default=str, indent=2))
        return
    from pyflow.cli.monitorview import report_lines

    for line in report_lines(report):
        _echo(line)


@app.command()
def debug(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    debug_: Annotated[bool, typer.Option("--debug")] = False,
) -> None:
    """Check the project file, the profile and the connection."""
    from pyflow.version import __version__

    _echo(f"pyflow version: {__version__}")
    _echo(f"python: {sys.version.split()[0]}")
    opts = _options(project_dir, profiles_dir, target, vars)
    with _errors(debug_), _session(opts, lambda e: None) as session:
        from pyflow.config.project import project_file, project_notes

        _echo(f"project: {session.project.name} ({project_file(session.root)})  [OK]")
        for note in project_notes(session.root, session.project):
            _echo(f"  {note}")
        _echo(f"profile: {session.target.source}  target: {session.target.name}  [OK]")
        if session.target.unused_keys:
            _echo(f"  accepted, not used by pyflow: {', '.join(session.target.unused_keys)}")
        for key, value in session.target.public_dict().items():
            _echo(f"  {key}: {value}")
        _echo(f"connection: {session.adapter.probe()}  [OK]")
    _echo("All checks passed!")


@app.command()
def clean(
    project_dir: ProjectDir = Path("."), debug_: Annotated[bool, typer.Option("--debug")] = False
) -> None:
    """Delete the folders listed in clean-targets (target/ and logs/ by default)."""
    import shutil

    with _errors(debug_):
        from pyflow.config.project import clean_folders, load_project_config

        root = project_dir.resolve()
        cfg, doc = load_project_config(root)
        for name, path in clean_folders(root, cfg, doc):
            if path.is_dir():
                shutil.rmtree(path)
                _echo(f"  removed {name}/")
            elif path.exists():
                _echo(f"  left {name} alone: it is a file, not a folder")
        _echo("Finished cleaning.")


@app.command()
def deps(
    project_dir: ProjectDir = Path("."), debug_: Annotated[bool, typer.Option("--debug")] = False
) -> None:
    """Install the packages of packages.yml / dependencies.yml into dbt_packages/."""
    with _errors(debug_):
        from pyflow.errors import ErrorGroup
        from pyflow.runner.deps import install

        done, failed = install(project_dir)
        for item in done:
            _echo(f"  installed {item.name} ({item.source}) in {item.folder}/")
        if failed:
            raise failed[0] if len(failed) == 1 else ErrorGroup(list(failed))
        _echo(f"Installed {len(done)} package(s)." if done else "No packages to install.")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="Project (and folder) name.")],
    debug_: Annotated[bool, typer.Option("--debug")] = False,
) -> None:
    """Create a new project folder that builds as is."""
    with _errors(debug_):
        from pyflow.runner.scaffold import scaffold

        path = scaffold(Path(name))
    _echo(f"Created project '{path.name}' in {path}.")
    _echo(f"Next: pyflow build --project-dir {name}")


source_app = typer.Typer(
    name="source",
    help="Commands about sources: `pyflow source freshness`.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(source_app, name="source")


@source_app.command("freshness")
def source_freshness(
    project_dir: ProjectDir = Path("."),
    profiles_dir: ProfilesDir = None,
    target: TargetOpt = None,
    vars: VarsOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    selector: SelectorOpt = None,
    threads: ThreadsOpt = None,
    fail_fast: FailFastOpt = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the results (default: target/sources.json)."),
    ] = None,
    log_format: LogFormatOpt = "text",
    debug: DebugOpt = False,
) -> None:
    """Check how recently the selected sources received data (freshness rules in sources YAML)."""
    from pyflow.cli.render import FreshnessRenderer

    if log_format not in ("text", "json"):
        _usage(f"--log-format must be text or json, not '{log_format}'")
    opts = _options(
        project_dir, profiles_dir, target, vars, select, exclude, threads, False, fail_fast, selector
    )
    render = FreshnessRenderer(log_format, invocation_id=opts.invocation_id)
    with _errors(debug, log_format, render), _signals():
        from pyflow.runner.freshness import source_freshness as check
        from pyflow.version import __version__

        render.line(f"Running with pyflow={__version__}")
        with _session(opts, render) as session:
            render.line(f"Found {len(session.project.sources)} source(s)")
            outcome = check(session, output)
        _summary(render, outcome, debug)
        if outcome.cancelled:
            raise typer.Exit(130)
        if not outcome.ok:
            raise typer.Exit(1)


register_docs(app, CliServices(options=_options, errors=_errors, session=_session, warn=_warn, echo=_echo))


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    """pyflow: dbt-style transformations in Python (Ibis) and SQL, on DuckDB, Athena and Trino."""
    if version:
        from pyflow.version import __version__

        _echo(f"pyflow {__version__}")
        raise typer.Exit(0)


def entrypoint() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        # the reader went away (`pyflow ls | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


from pyflow.cli.migratecmd import register as _register_migrate  # noqa: E402

_register_migrate(app, _errors)
releasecmd.register(app, _errors)  # pyflow releases, pyflow rollback
parsecmd.register(app, _errors, _echo, ls, _parse_vars)  # pyflow parse, pyflow list
