"""``pyflow`` commands. Each parses options, opens a runner Session and renders its events."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pyflow.cli import parsecmd, releasecmd
from pyflow.cli.common import (
    echo,
    execute_command,
    handle_signals,
    make_options,
    map_errors,
    open_session,
    parse_mapping,
    parse_vars,
    print_summary,
    usage_error,
    warn_event,
)
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
    ExcludeResourceTypeOpt,
    FailFastOpt,
    FavorStateOpt,
    FullRefreshOpt,
    IndirectOpt,
    LogFormatOpt,
    ProfilesDir,
    ProjectDir,
    ResourceTypeOpt,
    SelectOpt,
    SelectorOpt,
    StateOpt,
    TargetOpt,
    ThreadsOpt,
    VarsOpt,
    WarnErrorOpt,
)
from pyflow.cli.selectargs import SelectorListGroup

if TYPE_CHECKING:
    pass

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
        *(
            [
                ("resource_type", ResourceTypeOpt, None),
                ("exclude_resource_type", ExcludeResourceTypeOpt, None),
            ]
            if command in ("test", "build")
            else []
        ),
        ("state", StateOpt, None),
        ("defer", DeferOpt, False),
        ("favor_state", FavorStateOpt, False),
        ("defer_state", DeferStateOpt, None),
        ("threads", ThreadsOpt, None),
        *([("full_refresh", FullRefreshOpt, False)] if full_refresh else []),
        *([("blue_green", BlueGreenOpt, None)] if command != "test" else []),
        ("fail_fast", FailFastOpt, False),
        ("warn_error", WarnErrorOpt, False),
        *(EVENT_TIME_OPTIONS if command in ("run", "build") else []),
        *([("dry_run", Annotated[bool, DryRunOpt], False)] if command in ("run", "build") else []),
        ("log_format", LogFormatOpt, "text"),
        ("debug", DebugOpt, False),
    ]

    def callback(**kw: Any) -> None:
        opts = make_options(
            kw["project_dir"], kw["profiles_dir"], kw["target"], kw["vars"], kw["select"], kw["exclude"],
            kw["threads"], kw.get("full_refresh", False), kw["fail_fast"], kw["selector"],
            kw.get("indirect_selection", "eager"), kw["state"], kw["defer"], kw["favor_state"],
            kw["defer_state"], kw.get("resource_type"), kw.get("exclude_resource_type"),
        )  # fmt: skip
        opts = dataclasses.replace(opts, warn_error=kw["warn_error"])
        if kw.get("event_time_start") or kw.get("event_time_end"):
            from pyflow.runner.microbatch import with_event_times

            opts = with_event_times(opts, kw.get("event_time_start"), kw.get("event_time_end"))
        if kw.get("dry_run"):  # nothing runs: the plan, with the engine's estimates where it gives them
            with map_errors(kw["debug"]):
                print_dry_run(command, opts, kw["log_format"], echo, warn_event)
            return
        execute_command(command, opts, kw["log_format"], kw["debug"], blue_green=kw.get("blue_green"))

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
        usage_error(f"--log-format must be text or json, not '{log_format}'")
    with map_errors(debug, log_format):
        from pyflow.runner.retry import plan_retry

        plan = plan_retry(
            project_dir, profiles_dir, target, None if vars is None else parse_vars(vars), threads
        )
    if plan.options is None:
        Renderer(log_format).line(plan.message)
        return
    execute_command(plan.command, plan.options, log_format, debug, preface=plan.message)


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
        usage_error(f"--log-format must be text or json, not '{log_format}'")
    kwargs = parse_mapping(args, "--args", code="invalid-args", example="{days: 7}")
    opts = make_options(project_dir, profiles_dir, target, vars)
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with map_errors(debug, log_format, render), handle_signals():
        from pyflow.version import __version__

        render.line(f"Running with pyflow={__version__}")
        with open_session(opts, render) as session:
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
    resource_type: ResourceTypeOpt = None,
    exclude_resource_type: ExcludeResourceTypeOpt = None,
    log_format: LogFormatOpt = "text",
    debug: DebugOpt = False,
) -> None:
    """Create views of the selected nodes of the --state target in the current target.

    No supported engine has a zero-copy table clone (DuckDB, Trino with Iceberg, Hive or
    memory catalogs, Athena), so every clone is a view selecting from the state's relation.
    """
    from pyflow.cli.render import Renderer

    if log_format not in ("text", "json"):
        usage_error(f"--log-format must be text or json, not '{log_format}'")
    opts = make_options(project_dir, profiles_dir, target, vars, select, exclude, None, full_refresh,
                    selector=selector, state=state, resource_types=resource_type,
                    exclude_resource_types=exclude_resource_type)  # fmt: skip
    render = Renderer(log_format, invocation_id=opts.invocation_id)
    with map_errors(debug, log_format, render):
        from pyflow.runner.clone import clone as clone_nodes

        with open_session(opts, render) as session:
            outcome = clone_nodes(session)
        print_summary(render, outcome, debug)
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors (and the SQL of one node or --inline).")
    ] = False,
    inline: Annotated[
        str | None, typer.Option("--inline", help="Print this query compiled (Jinja allowed); nothing else.")
    ] = None,
) -> None:
    """Write each selected model's SQL to target/compiled/ without running anything."""
    from pyflow.cli.compilecmd import compile_inline, compile_project
    from pyflow.runner.compilewitness import Request

    request = Request(
        project_dir, profiles_dir, target, vars, tuple(select or ()), tuple(exclude or ()), selector
    )
    if inline is not None:
        if select or exclude or selector:
            usage_error("--inline compiles its query alone: drop --select, --exclude and --selector")
        compile_inline(request, inline, debug=debug, quiet=quiet)
        return
    compile_project(request, state=state, defer=defer, favor_state=favor_state, defer_state=defer_state,
                    debug=debug, quiet=quiet)  # fmt: skip


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
    exclude_resource_type: ExcludeResourceTypeOpt = None,
) -> None:
    """List the selected nodes: models, seeds, snapshots, sources, data tests and unit tests."""
    from pyflow.runner import listing

    keys = listing.split_keys(output_keys or ())
    mistake = listing.check_choices(output, resource_type or (), keys)
    if mistake:
        usage_error(mistake)
    opts = make_options(project_dir, profiles_dir, target, vars, select, exclude, selector=selector,
                    indirect_selection=indirect_selection, state=state,
                    exclude_resource_types=exclude_resource_type)  # fmt: skip
    opts = dataclasses.replace(opts, lists_only=True)
    with map_errors(debug), open_session(opts, warn_event) as session:
        nodes = listing.keep(session.list_nodes(), resource_type or ())
        text = "\n".join(listing.lines(nodes, output, session.project.graph.parents, keys))
        if text:  # one write (and one secret scrub) for all lines: 10,000 nodes list at once
            echo(text)
        if not nodes:
            echo("[WARNING] No nodes selected!", err=True)


@app.command()
def show(
    node: Annotated[str | None, typer.Argument(help="Model, seed, snapshot or data test to preview.")] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", "-s", help="The node to preview, as dbt spells it (one node)."),
    ] = None,
    inline: Annotated[
        str | None, typer.Option("--inline", help="A query to preview instead (Jinja allowed).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show (negative: all).")] = 5,
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
    """Preview the rows of a model, seed, snapshot, data test or inline query, or a column's lineage."""
    if node is not None and select:
        usage_error("name the node either as an argument or with --select, not both")
    if select and len(select) > 1:
        usage_error(f"`pyflow show` previews one node: --select got {len(select)} ({' '.join(select)})")
    node = select[0] if select else node
    if lineage is not None and (node is not None or inline is not None):
        usage_error("--lineage MODEL.COLUMN takes no node argument, --select or --inline")
    if lineage is None and (node is None) == (inline is None):
        usage_error('give a node name (or --select NAME) or --inline "select ..." (one of the two)')
    if output not in ("table", "json"):
        usage_error(f"--output must be table or json, not '{output}'")
    if lineage is not None:
        from pyflow.cli.lineageview import lineage_text

        with (
            map_errors(debug),
            open_session(make_options(project_dir, profiles_dir, target, vars), warn_event) as session,
        ):
            echo(lineage_text(session, lineage, output))
        return
    from pyflow.runner.preview import preview

    with map_errors(debug):
        with open_session(make_options(project_dir, profiles_dir, target, vars), lambda e: None) as session:
            columns, rows = preview(session, node, inline, limit)
        if output == "json":
            echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str))
            return
        from rich.console import Console
        from rich.table import Table

        title = f"Previewing {node or 'inline query'}"
        table = Table(title=title, title_justify="left", min_width=max(30, len(title)))  # title on one line
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
        usage_error(f"--output must be text or json, not '{output}'")
    with (
        map_errors(debug),
        open_session(make_options(project_dir, profiles_dir, target, None), lambda e: None) as session,
    ):
        from pyflow.runner.monitorreport import monitor_report

        report = monitor_report(session, runs, stale_after)
    if output == "json":
        echo(json.dumps(report, default=str, indent=2))
        return
    from pyflow.cli.monitorview import report_lines

    for line in report_lines(report):
        echo(line)


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

    echo(f"pyflow version: {__version__}")
    echo(f"python: {sys.version.split()[0]}")
    opts = make_options(project_dir, profiles_dir, target, vars)
    with map_errors(debug_), open_session(opts, lambda e: None) as session:
        from pyflow.config.project import project_file, project_notes

        echo(f"project: {session.project.name} ({project_file(session.root)})  [OK]")
        for note in project_notes(session.root, session.project):
            echo(f"  {note}")
        echo(f"profile: {session.target.source}  target: {session.target.name}  [OK]")
        if session.target.unused_keys:
            echo(f"  accepted, not used by pyflow: {', '.join(session.target.unused_keys)}")
        for key, value in session.target.public_dict().items():
            echo(f"  {key}: {value}")
        echo(f"connection: {session.adapter.probe()}  [OK]")
    echo("All checks passed!")


@app.command()
def clean(
    project_dir: ProjectDir = Path("."), debug_: Annotated[bool, typer.Option("--debug")] = False
) -> None:
    """Delete the folders listed in clean-targets (target/ and logs/ by default)."""
    import shutil

    with map_errors(debug_):
        from pyflow.config.project import clean_folders, load_project_config

        root = project_dir.resolve()
        cfg, doc = load_project_config(root)
        for name, path in clean_folders(root, cfg, doc):
            if path.is_dir():
                shutil.rmtree(path)
                echo(f"  removed {name}/")
            elif path.exists():
                echo(f"  left {name} alone: it is a file, not a folder")
        echo("Finished cleaning.")


@app.command()
def deps(
    project_dir: ProjectDir = Path("."), debug_: Annotated[bool, typer.Option("--debug")] = False
) -> None:
    """Install the packages of packages.yml / dependencies.yml into dbt_packages/."""
    with map_errors(debug_):
        from pyflow.errors import ErrorGroup
        from pyflow.runner.deps import install

        done, failed = install(project_dir)
        for item in done:
            echo(f"  installed {item.name} ({item.source}) in {item.folder}/")
        if failed:
            raise failed[0] if len(failed) == 1 else ErrorGroup(list(failed))
        echo(f"Installed {len(done)} package(s)." if done else "No packages to install.")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="Project (and folder) name.")],
    debug_: Annotated[bool, typer.Option("--debug")] = False,
) -> None:
    """Create a new project folder that builds as is."""
    with map_errors(debug_):
        from pyflow.runner.scaffold import scaffold

        path = scaffold(Path(name))
    echo(f"Created project '{path.name}' in {path}.")
    echo(f"Next: pyflow build --project-dir {name}")


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
        usage_error(f"--log-format must be text or json, not '{log_format}'")
    opts = make_options(
        project_dir, profiles_dir, target, vars, select, exclude, threads, False, fail_fast, selector
    )
    render = FreshnessRenderer(log_format, invocation_id=opts.invocation_id)
    with map_errors(debug, log_format, render), handle_signals():
        from pyflow.runner.freshness import source_freshness as check
        from pyflow.version import __version__

        render.line(f"Running with pyflow={__version__}")
        with open_session(opts, render) as session:
            render.line(f"Found {len(session.project.sources)} source(s)")
            outcome = check(session, output)
        print_summary(render, outcome, debug)
        if outcome.cancelled:
            raise typer.Exit(130)
        if not outcome.ok:
            raise typer.Exit(1)


register_docs(
    app,
    CliServices(options=make_options, errors=map_errors, session=open_session, warn=warn_event, echo=echo),
)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    """pyflow: dbt-style transformations in Python (Ibis) and SQL, on DuckDB, Athena and Trino."""
    if version:
        from pyflow.version import __version__

        echo(f"pyflow {__version__}")
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

_register_migrate(app, map_errors)
releasecmd.register(app, map_errors)  # pyflow releases, pyflow rollback
parsecmd.register(app, map_errors, echo, ls, parse_vars)  # pyflow parse, pyflow list
