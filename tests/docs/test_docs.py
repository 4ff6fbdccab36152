"""Every example in README.md and docs/ runs as a test, and the docs cover the code.

Conventions (also explained for doc writers in docs/index.md, "Writing docs"):

* A fenced ``python``, ``sql``, ``yaml`` or ``csv`` block is tested when the line right above
  it is a marker comment::

      <!-- test: project=NAME file=models/x.py [base=empty|init|shop|dbt] [expect=CODE]
                 [command="build"] [env=NAME=value] [contains="text|text"] -->

  Blocks with the same ``project`` in one doc file form one project. Each block is one test
  case: the project's base (named on its first block: an empty project whose ``pyflow.yml``
  is ``name: NAME``, the ``pyflow init`` scaffold, a copy of ``examples/shop``, or for ``dbt`` an
  empty folder whose blocks bring a ``dbt_project.yml``) plus every
  file of the project as of this block (the last version shown at or before it, or the first
  one for files shown only later) is written to a temporary folder, then the CLI runs
  in-process: ``pyflow build``, or ``command`` (``"a;b"`` runs several commands in turn;
  ``command`` and ``env`` on a project's first block apply to all its blocks). The
  commands must succeed, or with ``expect=CODE`` the last one must fail with that error code;
  ``contains="x|y"`` requires each text in the last command's output. A block whose ``file``
  is ``tests/test_*.py`` is imported and its ``test_*`` functions are called instead. Cases
  that produce the same project and commands share one run. ``<!-- test: skip="why" -->`` opts
  a block out; an unmarked block of these languages is an error.
* A ``json`` block marked ``<!-- test: json=manifest.json|run_results.json|events at=a/b -->``
  must show exactly the keys of the object at ``a/b`` (``/``-separated; ``[k=v]`` picks the
  list element whose ``k`` is ``v``) of that artifact of examples/shop after a build, at every
  level; a ``"...": "..."`` entry stands for entries not shown.
* In ``console``/``bash``/``sh`` blocks, every line starting with ``$ pyflow`` is checked to be
  a valid command and option combination (``--help`` is appended). With a ``<!-- test: run -->``
  marker the lines are run in order in a scratch folder holding a copy of ``examples/shop``,
  and must exit 0 (or ``N`` when the line ends with ``# exit N``).
* Every error code slug used in pyflow/ has a ``## slug`` heading in docs/errors.md and back;
  every ``errors.md#slug`` link resolves; every relative link and anchor in the docs resolves;
  every CLI command and option appears in its ``## pyflow <command>`` section of docs/cli.md;
  every config field appears in its section of docs/configuration.md, whose tables name no
  unknown key; README's Quick start holds exactly the two commands CI relies on.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import json
import re
import shlex
import shutil
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SHOP = REPO / "examples" / "shop"
PACKAGE = REPO / "pyflow"
DOC_FILES = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
TESTED_LANGS = {"python", "py", "sql", "yaml", "yml", "csv"}
SHELL_LANGS = {"console", "bash", "sh", "shell"}
QUICK_START = [
    "pip install -e . && pyflow build --project-dir examples/shop",
    'pip install -e ".[dev]" -c .ci/constraints.txt && python -m pytest',
]
_MARKER = re.compile(r"^\s*<!--\s*test:(?P<body>.*?)-->\s*$")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


# ---- parsing the docs --------------------------------------------------------------------------


@dataclass
class Block:
    """One fenced code block of a doc file, with its test marker (if any)."""

    doc: Path
    line: int
    lang: str
    text: str
    marker: dict[str, str] | None

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO).as_posix()}:{self.line}"

    @property
    def short(self) -> str:
        return f"{self.doc.relative_to(REPO).as_posix().removeprefix('docs/')}:{self.line}"


def _parse_marker(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in shlex.split(body):
        key, sep, value = token.partition("=")
        out[key] = value if sep else "true"
    return out


def blocks(doc: Path) -> list[Block]:
    """Fenced code blocks of ``doc`` (Markdown), each with the marker right above it."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(m["indent"]) :] if lines[i].startswith(m["indent"]) else lines[i])
            i += 1
        i += 1
        prev = lines[start - 1] if start > 0 else ""
        mm = _MARKER.match(prev)
        lang = info.split()[0].lower() if info else ""
        out.append(
            Block(doc, start + 1, lang, "\n".join(body) + "\n", _parse_marker(mm["body"]) if mm else None)
        )
    return out


ALL_BLOCKS = [b for doc in DOC_FILES for b in blocks(doc)]


def _headings(doc: Path) -> list[tuple[int, str]]:
    """(level, text) of every Markdown heading outside code blocks."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = _FENCE.match(line)
        if m:
            if fence is None:
                fence = m["fence"]
            elif line.strip().startswith(fence):
                fence = None
            continue
        if fence is None and (h := re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)):
            out.append((len(h[1]), h[2]))
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = unicodedata.normalize("NFKC", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _section(doc: Path, title: str) -> str:
    """Text of the section under heading ``title`` (to the next heading of the same level)."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    start = level = None
    for n, line in enumerate(lines):
        h = re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
        if h is None:
            continue
        if start is None and h[2] == title:
            start, level = n, len(h[1])
        elif start is not None and level is not None and len(h[1]) <= level:
            return "\n".join(lines[start:n])
    if start is None:
        raise AssertionError(f"{doc.relative_to(REPO)} has no heading '{title}'")
    return "\n".join(lines[start:])


# ---- running the CLI in-process --------------------------------------------------------------


@functools.cache
def _command() -> Any:
    """The click command of ``pyflow.cli.main:app``, built once."""
    import typer

    from pyflow.cli.main import app

    return typer.main.get_command(app)


def cli(*args: str) -> Any:
    """``pyflow <args>`` in-process; returns the click Result."""
    from pyflow.cli.main import app

    return CliRunner().invoke(app, list(args))


def _copy_shop(dest: Path) -> Path:
    shutil.copytree(
        SHOP,
        dest,
        ignore=shutil.ignore_patterns("target", "logs", "pyflow.duckdb*", "__pycache__", ".pytest_cache"),
    )
    return dest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ~/.pyflow/profiles.yml of the person running the tests leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


# ---- (a) + (b): python, sql and yaml snippets --------------------------------------------------


def _snippet_cases() -> Iterator[Any]:
    for b in ALL_BLOCKS:
        if b.lang not in TESTED_LANGS or b.marker is None or "project" not in b.marker:
            continue
        yield pytest.param(b, id=f"{b.short}:{b.marker['project']}:{b.marker.get('file', '?')}")


def _project_blocks(block: Block) -> list[Block]:
    """The files of ``block``'s project as seen at ``block``.

    Every block of the project counts; when a file is shown several times, the last version
    at or before ``block`` wins (or the first one, for files shown only later).
    """
    assert block.marker is not None
    name = block.marker["project"]
    same = [
        b
        for b in ALL_BLOCKS
        if b.doc == block.doc and b.marker and b.marker.get("project") == name and b.lang in TESTED_LANGS
    ]
    here = same.index(block)
    chosen: dict[str, Block] = {}
    for i, b in enumerate(same):
        path = (b.marker or {}).get("file", "")
        if i <= here or path not in chosen:
            chosen[path] = b
    return [same[0], *chosen.values()]


def _write_project(root: Path, group: list[Block]) -> Path:
    """Write the project: the base named by the first block, then each block's file in order."""
    first = group[0].marker or {}
    base = first.get("base", "empty")
    name = first["project"]
    if base == "shop":
        _copy_shop(root)
    elif base == "init":
        from pyflow.runner.scaffold import scaffold

        scaffold(root)
    elif base == "empty":
        root.mkdir(parents=True)
        (root / "pyflow.yml").write_text(f"name: {name}\n", encoding="utf-8")
    elif base == "dbt":  # a dbt project: no pyflow.yml, the blocks bring dbt_project.yml
        root.mkdir(parents=True)
    else:
        raise AssertionError(f"{group[0].where}: unknown base '{base}' (empty, init, shop or dbt)")
    for b in group[1:]:
        assert b.marker is not None and "file" in b.marker, f"{b.where}: the marker needs file=PATH"
        path = root / b.marker["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(b.text, encoding="utf-8")
    return root


def _run_test_module(path: Path) -> int:
    """Import a tests/test_*.py snippet and call its test functions; return how many ran."""
    name = f"pyflow_docs_snippet_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        tests = [
            fn for attr, fn in vars(module).items() if attr.startswith("test_") and inspect.isfunction(fn)
        ]
        for fn in tests:
            fn()
    finally:
        sys.modules.pop(name, None)
    return len(tests)


def _option(block: Block, key: str, default: str) -> str:
    """A marker option of ``block``, else of its project's first block (``command``, ``env``)."""
    assert block.marker is not None
    first = _project_blocks(block)[0].marker or {}
    return block.marker.get(key, first.get(key, default))


_OUTCOMES: dict[tuple[Any, ...], list[tuple[list[str], int, str]] | str | None] = {}
"""Outcome per distinct project state: cases that write the same files and run the same
commands share one build (all blocks of a project usually do)."""


def _outcome(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Write ``block``'s project and run it: a list of (argv, exit code, output), or for a test
    file snippet the error text of its failing test (None when all passed)."""
    assert block.marker is not None
    group = _project_blocks(block)
    file = block.marker["file"]
    is_test = re.fullmatch(r"tests/(.*/)?test_\w+\.py", file) is not None
    commands = _option(block, "command", "build")
    env = _option(block, "env", "")
    key = (
        (group[0].marker or {}).get("base", "empty"),
        block.marker["project"],
        tuple(((b.marker or {}).get("file"), b.text) for b in group[1:]),
        file if is_test else commands,
        env,
    )
    if key in _OUTCOMES:
        return _OUTCOMES[key]
    for item in env.split(","):
        if item:
            name, _, value = item.partition("=")
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    root = _write_project(tmp_path / block.marker["project"], group)
    outcome: Any
    if is_test:
        try:
            ran = _run_test_module(root / file)
            outcome = None if ran else "no test_* function in the snippet"
        except Exception as exc:
            import traceback

            outcome = "".join(traceback.format_exception(exc))
    else:
        outcome = []
        for command in [shlex.split(c) for c in commands.split(";")]:
            if command == ["none"]:
                break
            result = cli(*command, "--project-dir", str(root))
            outcome.append((command, result.exit_code, result.output))
            if result.exit_code != 0:
                break
    _OUTCOMES[key] = outcome
    return outcome


@pytest.mark.parametrize("block", list(_snippet_cases()))
def test_snippet(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert block.marker is not None
    outcome = _outcome(block, tmp_path, monkeypatch)
    if outcome is None or isinstance(outcome, str):
        assert outcome is None, f"{block.where}: the test snippet failed\n{outcome}"
        return
    expect = block.marker.get("expect")
    for n, (command, code, output) in enumerate(outcome):
        shown = f"`pyflow {' '.join(command)}`"
        if expect and n == len(outcome) - 1:
            assert code == 1, f"{block.where}: {shown} should fail with [{expect}]\n{output}"
            assert f"[{expect}]" in output, f"{block.where}: {shown} should fail with [{expect}]\n{output}"
        else:
            assert code == 0, f"{block.where}: {shown} failed\n{output}"
    if expect:
        assert outcome, f"{block.where}: expect={expect} needs a command"
    for text in filter(None, block.marker.get("contains", "").split("|")):
        assert outcome and text in outcome[-1][2], (
            f"{block.where}: output lacks {text!r}\n{outcome[-1][2] if outcome else ''}"
        )


def test_every_code_block_is_tested_or_skipped() -> None:
    untested = []
    for b in ALL_BLOCKS:
        if b.lang == "json" and not (b.marker and ("json" in b.marker or "skip" in b.marker)):
            untested.append(f'{b.where} (json): mark it json=<artifact> at=<path>, or skip="why"')
            continue
        if b.lang not in TESTED_LANGS:
            continue
        if b.marker is None:
            untested.append(f"{b.where} ({b.lang})")
        elif "project" not in b.marker and "skip" not in b.marker:
            untested.append(f'{b.where}: marker needs project=... or skip="reason"')
        elif b.marker.get("skip") == "true":
            untested.append(f'{b.where}: skip needs a reason: skip="why"')
    assert not untested, "code blocks without a test marker:\n" + "\n".join(untested)


# ---- JSON shapes of artifacts ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """examples/shop built once: manifest.json, run_results.json and JSON log events by kind."""
    root = _copy_shop(tmp_path_factory.mktemp("artifacts") / "shop")
    result = cli("build", "--project-dir", str(root), "--log-format", "json")
    assert result.exit_code == 0, result.output
    events: dict[str, Any] = {}
    for line in result.stdout.splitlines():
        event = json.loads(line)
        events.setdefault(event["kind"], event)
    failed = cli("build", "--project-dir", str(root), "--select", "nosuch:x", "--log-format", "json")
    events["error"] = json.loads(failed.stdout.splitlines()[-1])
    return {
        "manifest.json": json.loads((root / "target" / "manifest.json").read_text()),
        "run_results.json": json.loads((root / "target" / "run_results.json").read_text()),
        "events": events,
    }


def _shape_errors(doc: Any, real: Any, path: str) -> list[str]:
    if not isinstance(doc, dict) or not isinstance(real, dict):
        if isinstance(doc, list) and isinstance(real, list) and doc and real:
            return _shape_errors(doc[0], real[0], f"{path}[0]")
        return []
    errors = []
    shown = {k for k in doc if k != "..."}
    missing = sorted(shown - set(real))
    if missing:
        errors.append(f"{path or '/'}: documented keys not in the artifact: {missing}")
    if "..." not in doc and (extra := sorted(set(real) - shown)):
        errors.append(f"{path or '/'}: artifact keys not documented: {extra}")
    for k in shown & set(real):
        errors.extend(_shape_errors(doc[k], real[k], f"{path}/{k}"))
    return errors


def _json_cases() -> Iterator[Any]:
    for b in ALL_BLOCKS:
        if b.lang == "json" and b.marker and "json" in b.marker:
            yield pytest.param(b, id=f"{b.short}:{b.marker['json']}:{b.marker.get('at', '')}")


@pytest.mark.parametrize("block", list(_json_cases()))
def test_json_shape(block: Block, shop_artifacts: dict[str, Any]) -> None:
    assert block.marker is not None
    real = shop_artifacts[block.marker["json"]]
    for part in filter(None, block.marker.get("at", "").split("/")):
        if m := re.fullmatch(r"\[(\w+)=(.*)\]", part):  # the list element whose key has that value
            real = next(item for item in real if str(item.get(m[1])) == m[2])
        else:
            real = real[int(part)] if isinstance(real, list) else real[part]
    documented = json.loads(block.text)
    errors = _shape_errors(documented, real, "")
    assert not errors, f"{block.where}:\n" + "\n".join(errors)


# ---- (c) shell blocks ------------------------------------------------------------------------


@dataclass
class Command:
    line: int
    argv: list[str]
    exit_code: int = 0
    raw: str = ""


def _commands(block: Block) -> list[Command]:
    out: list[Command] = []
    rows = block.text.splitlines()
    n = 0
    while n < len(rows):
        row, start = rows[n], n
        while row.endswith("\\") and n + 1 < len(rows):
            n += 1
            row = row[:-1] + " " + rows[n].strip()
        n += 1
        if not row.startswith("$ pyflow"):
            continue
        exit_code = 0
        if m := re.search(r"#\s*exit\s+(\d+)\s*$", row):
            exit_code = int(m[1])
        argv = shlex.split(row[2:], comments=True)
        for stop in ("|", ">", ">>", "&&", ";", "2>&1"):
            if stop in argv:
                argv = argv[: argv.index(stop)]
        out.append(Command(block.line + 1 + start, argv[1:], exit_code, row))
    return out


def _shell_cases(run: bool) -> Iterator[Any]:
    for b in ALL_BLOCKS:
        if b.lang not in SHELL_LANGS or not _commands(b):
            continue
        is_run = bool(b.marker and b.marker.get("run"))
        if run and is_run:
            yield pytest.param(b, id=b.short)
        if not run:
            for c in _commands(b):
                yield pytest.param(c, id=f"{b.short.split(':')[0]}:{c.line}:pyflow {' '.join(c.argv)[:60]}")


@pytest.mark.parametrize("command", list(_shell_cases(run=False)))
def test_command_line_is_valid(command: Command) -> None:
    """Parse the line as the CLI would (options, values, arguments) without running it."""
    from pyflow.cli.selectargs import spread_selectors

    group = _command()
    argv = spread_selectors(command.argv)  # as the pyflow group does before parsing
    split = next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))
    try:
        # with a command after them, parse the global options leniently (no "no args" help)
        ctx = group.make_context("pyflow", argv[:split], resilient_parsing=split < len(argv))
        if split < len(argv):
            sub = group.get_command(ctx, argv[split])
            assert sub is not None, f"`{command.raw}`: no command '{argv[split]}'"
            if getattr(sub, "commands", None) and split + 1 < len(argv):  # `pyflow source freshness`
                ctx, split = sub.make_context(argv[split], [], parent=ctx, resilient_parsing=True), split + 1
                sub = sub.get_command(ctx, argv[split])
                assert sub is not None, f"`{command.raw}`: no command '{argv[split]}'"
            sub.make_context(argv[split], argv[split + 1 :], parent=ctx)
    except Exception as exc:
        if getattr(exc, "exit_code", None) == 0:  # --help / --version
            return
        message = exc.format_message() if hasattr(exc, "format_message") else repr(exc)
        raise AssertionError(f"`{command.raw}` is not a valid command line: {message}") from None


@pytest.mark.parametrize("block", list(_shell_cases(run=True)))
def test_console_session_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _copy_shop(tmp_path / "examples" / "shop")
    monkeypatch.chdir(tmp_path)
    for c in _commands(block):
        result = cli(*c.argv)
        assert result.exit_code == c.exit_code, (
            f"{block.doc.relative_to(REPO)}:{c.line}: `{c.raw}` exited {result.exit_code}, "
            f"expected {c.exit_code}\n{result.output}"
        )


def test_readme_quick_start() -> None:
    readme = REPO / "README.md"
    section = _section(readme, "Quick start")
    found = [b for b in blocks(readme) if b.text.strip() and b.text.strip() in section]
    assert len(found) == 1, "README's Quick start must hold exactly one code block"
    assert found[0].text.strip().splitlines() == QUICK_START


def test_ci_runs_the_quick_start_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert QUICK_START[1] in ci


# ---- (d) error codes -------------------------------------------------------------------------


@functools.cache
def _codes_in_package() -> dict[str, str]:
    """Every error code slug used in pyflow/ -> where (keyword, class attribute or dict key)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.keyword) and node.arg == "code":
                values.append(node.value)
            elif isinstance(node, ast.ClassDef):
                values += [
                    s.value
                    for s in node.body
                    if isinstance(s, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in s.targets)
                ]
            elif isinstance(node, ast.Dict):
                values += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "code"
                ]
            for v in values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    found.setdefault(v.value, f"{rel}:{v.lineno}")
    return found


def _error_headings() -> list[str]:
    return [text for level, text in _headings(DOCS / "errors.md") if level == 2]


def test_every_error_code_is_documented() -> None:
    headings = set(_error_headings())
    missing = {code: where for code, where in _codes_in_package().items() if code not in headings}
    assert not missing, "error codes without a '## <code>' section in docs/errors.md:\n" + "\n".join(
        f"  {c} (used at {w})" for c, w in sorted(missing.items())
    )


def test_every_documented_error_code_exists() -> None:
    codes = _codes_in_package()
    stale = [h for h in _error_headings() if h not in codes]
    assert not stale, f"docs/errors.md documents codes pyflow never uses: {stale}"


def test_error_links_resolve() -> None:
    anchors = {_slug(h) for h in _error_headings()}
    bad = []
    for path in [*DOC_FILES, *PACKAGE.rglob("*.py")]:
        for m in re.finditer(r"errors\.md#([A-Za-z0-9_\-]+)", path.read_text(encoding="utf-8")):
            if m[1] not in anchors:
                bad.append(f"{path.relative_to(REPO)}: errors.md#{m[1]}")
    assert not bad, "links to undocumented error codes:\n" + "\n".join(bad)


def test_relative_links_resolve() -> None:
    bad = []
    for doc in DOC_FILES:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            target = m[1]
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (doc.parent / file).resolve() if file else doc
            if not dest.exists():
                bad.append(f"{doc.relative_to(REPO)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in {_slug(h) for _, h in _headings(dest)}:
                bad.append(f"{doc.relative_to(REPO)}: {target} (no such heading)")
    assert not bad, "broken links:\n" + "\n".join(bad)


# ---- (e) the CLI and config reference cover the code ---------------------------------------


def _click_app() -> Any:
    return _command()


def _command_table() -> dict[str, Any]:
    """Every runnable command by name; a sub-command as ``group sub`` (``source freshness``)."""
    out: dict[str, Any] = {}
    for name, command in _click_app().commands.items():
        subs = getattr(command, "commands", None)
        if subs:
            out.update({f"{name} {sub}": inner for sub, inner in subs.items()})
        else:
            out[name] = command
    return out


def _cli_surface() -> Iterator[Any]:
    group = _click_app()
    for name, command in sorted(_command_table().items()):
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                shown = opt if opt.startswith("-") else (param.name or opt).upper()
                yield pytest.param(name, shown, id=f"{name} {shown}")
        yield pytest.param(name, None, id=name)
    for param in group.params:
        for opt in param.opts:
            yield pytest.param(None, opt, id=f"pyflow {opt}")


@pytest.mark.parametrize(("command", "option"), list(_cli_surface()))
def test_cli_reference_covers(command: str | None, option: str | None) -> None:
    doc = DOCS / "cli.md"
    section = _section(doc, f"pyflow {command}" if command else "Global options")
    if option is not None:
        assert re.search(rf"`{re.escape(option)}\b", section), (
            f"docs/cli.md, section 'pyflow {command or ''}', does not mention `{option}`"
        )


def test_cli_reference_has_no_stale_command() -> None:
    commands = set(_command_table())
    documented = {
        h.removeprefix("pyflow ")
        for lvl, h in _headings(DOCS / "cli.md")
        if lvl == 2 and h.startswith("pyflow ")
    }
    assert documented <= commands, (
        f"docs/cli.md documents commands that do not exist: {documented - commands}"
    )


def _config_classes() -> list[tuple[str, type[Any]]]:
    from pyflow.config import properties as props
    from pyflow.config.profile import AthenaTarget, DuckDBTarget, TrinoTarget
    from pyflow.config.releaseconfig import ReleasesConfig
    from pyflow.core import nodeconfig as nc
    from pyflow.core import runconfig as rc
    from pyflow.core.lineageconfig import OpenLineageConfig

    classes: list[tuple[str, type[Any]]] = [
        ("pyflow.yml", nc.ProjectConfig),
        ("Model config", nc.ModelConfig),
        ("Seed config", nc.SeedConfig),
        ("DuckDB outputs", DuckDBTarget),
        ("Trino outputs", TrinoTarget),
        ("Athena outputs", AthenaTarget),
        ("Releases", ReleasesConfig),
        ("Sources", props.SourceProps),
        ("Source tables", props.SourceTableProps),
        ("Freshness", props.FreshnessProps),
        ("Freshness thresholds", props.FreshnessAfter),
        ("Models and seeds", props.NodeProps),
        ("Columns", props.ColumnProps),
        ("Run history", rc.RunHistoryConfig),
        ("on-run-end alerts", rc.AlertConfig),
        ("OpenLineage", OpenLineageConfig),
    ]
    snapshot = getattr(nc, "SnapshotConfig", None)
    if snapshot is not None:
        classes.append(("Snapshot config", snapshot))
    return classes


def _config_cases() -> Iterator[Any]:
    for section, cls in _config_classes():
        for name, f in cls.model_fields.items():
            key = f.alias or name
            yield pytest.param(section, key, id=f"{section}: {key}")


@pytest.mark.parametrize(("section", "key"), list(_config_cases()))
def test_configuration_reference_covers(section: str, key: str) -> None:
    text = _section(DOCS / "configuration.md", section)
    assert f"`{key}`" in text or f"`+{key}`" in text, (
        f"docs/configuration.md, section '{section}', does not document `{key}`"
    )


@pytest.mark.parametrize(("section", "cls"), [pytest.param(s, c, id=s) for s, c in _config_classes()])
def test_configuration_reference_has_no_stale_key(section: str, cls: type[Any]) -> None:
    """The first cell of each table row in a section names a real key."""
    keys = {f.alias or n for n, f in cls.model_fields.items()} | set(getattr(cls, "EXTRA_KEYS", ()))
    text = _section(DOCS / "configuration.md", section)
    stale = []
    for row in re.findall(r"^\|\s*`\+?([\w\-]+)`", text, flags=re.M):
        if row not in keys:
            stale.append(row)
    assert not stale, f"docs/configuration.md, section '{section}', documents unknown keys: {stale}"


def test_dbt_keys_pyflow_accepts_without_effect_are_documented() -> None:
    """Each dbt_project.yml key and dbt adapter output key pyflow ignores is named in its section."""
    from pyflow.config.dbtprofile import UNUSED_OUTPUT_KEYS
    from pyflow.config.dbtproject import UNUSED_KEYS

    project = _section(DOCS / "configuration.md", "dbt_project.yml")
    outputs = _section(DOCS / "configuration.md", "dbt adapters' outputs")
    missing = [k for k in UNUSED_KEYS if f"`{k}`" not in project]
    missing += [
        f"{kind}: {k}" for kind, keys in UNUSED_OUTPUT_KEYS.items() for k in keys if f"`{k}`" not in outputs
    ]
    assert not missing, f"docs/configuration.md does not name: {missing}"


def test_context_names_are_documented() -> None:
    """Every name a SQL model's Jinja sees, and every Context attribute, is in the docs."""
    from datetime import UTC, datetime

    from pyflow.core.spec import Context, TargetInfo
    from pyflow.core.sqlcontext import base_context

    target = TargetInfo(name="dev", type="duckdb", schema="main", database=None)
    names = {
        *base_context("m", {}, target, datetime.now(UTC)),
        "ref",
        "source",
        "config",
        "this",
        "is_incremental",
        "return",
    }
    sql_doc = (DOCS / "concepts" / "sql-models.md").read_text(encoding="utf-8")
    missing = sorted(n for n in names if f"`{n}" not in sql_doc)
    assert not missing, f"docs/concepts/sql-models.md does not mention: {missing}"
    ctx = Context(model_name="m", vars={}, target=target, run_started_at=datetime.now(UTC))
    attrs = {a for a in vars(ctx) if not a.startswith("_")} | {
        a for a, v in vars(Context).items() if not a.startswith("_") and callable(v)
    }
    models_doc = (DOCS / "concepts" / "models.md").read_text(encoding="utf-8")
    missing = sorted(a for a in attrs if f"ctx.{a}" not in models_doc)
    assert not missing, f"docs/concepts/models.md does not mention: {[f'ctx.{a}' for a in missing]}"


def test_docs_index_lists_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if p.name != "index.md"]
    missing = [p for p in pages if f"({p})" not in index]
    assert not missing, f"docs/index.md does not link: {missing}"


def test_marker_keys_are_known() -> None:
    known = {"project", "file", "base", "expect", "command", "env", "skip", "json", "at", "run", "contains"}
    bad = [
        f"{b.where}: {sorted(set(b.marker) - known)}"
        for b in ALL_BLOCKS
        if b.marker and set(b.marker) - known
    ]
    assert not bad, "unknown keys in test markers:\n" + "\n".join(bad)


# ---- (e) the guarantees page names real tests --------------------------------------------------

_PROOF = re.compile(r"`((?:tests/[\w/]+/)?test_\w+\.py)(?:::(\w+))?`")


def test_every_guarantee_names_tests_that_exist() -> None:
    """docs/guarantees.md: each `file.py::test` (under tests/reliability unless a folder is given) exists."""
    text = (DOCS / "guarantees.md").read_text(encoding="utf-8")
    proofs = _PROOF.findall(text)
    assert len(proofs) > 50
    missing = []
    for file, name in proofs:
        path = REPO / file if file.startswith("tests/") else REPO / "tests" / "reliability" / file
        if not path.is_file():
            missing.append(file)
        elif name and not re.search(rf"^def {name}\(", path.read_text(encoding="utf-8"), re.M):
            missing.append(f"{file}::{name}")
    assert missing == []
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| promise")]
    assert all(_PROOF.search(row.rsplit("|", 2)[-2]) for row in rows), "every promise names its proof"
