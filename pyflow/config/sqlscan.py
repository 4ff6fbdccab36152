"""The constant ``ref``/``source`` calls of a SQL model, snapshot file or singular test.

What the definition index (:mod:`pyflow.config.index`) records for a SQL file, read without
rendering it: from the text alone for a template of ``{{ }}`` expressions only, else from
Jinja's tokens (a snapshot file from its Jinja AST, for its blocks). A ``ref`` with a computed
argument, ``ref`` passed around, ``include``/``import``/``extends`` make the scan unsure.
"""

from __future__ import annotations

import re
from typing import Any

from pyflow.config.index import Entry, FileIndex

_UNSURE_TAGS = frozenset({"include", "import", "from", "extends"})


def scan_sql(path: str, text: str, kind: str, stem: str, env: Any) -> FileIndex:
    """Constant ``ref``/``source`` calls of a SQL model, snapshot file or singular test.

    ``env`` is a Jinja environment that parses the project's templates. A model or test is
    read from its tokens (much cheaper than parsing); a snapshot file is parsed for its blocks.
    """
    if kind != "snapshot":
        return _scan_tokens(path, text, kind, stem, env)
    import jinja2
    from jinja2 import nodes as jn

    from pyflow.core.jinjaext import SNAPSHOT_PREFIX

    found = FileIndex(path, kind)
    try:
        tree = env.parse(text, filename=path)
    except jinja2.TemplateSyntaxError:
        found.sure = False
        return found
    if any(True for _ in tree.find_all((jn.Include, jn.Import, jn.FromImport, jn.Extends))):
        found.sure = False
    blocks: list[tuple[str, jn.Node]] = [(stem, tree)]
    if kind == "snapshot":
        blocks = [
            (m.name.removeprefix(SNAPSHOT_PREFIX), m)
            for m in tree.find_all(jn.Macro)
            if m.name.startswith(SNAPSHOT_PREFIX)
        ]
    for name, block in blocks:
        refs: list[str] = []
        uses_source = False
        called = {id(c.node) for c in block.find_all(jn.Call)}
        for sub in block.find_all(jn.Name):  # ref passed around (not called): unknown use
            if sub.name in ("ref", "source") and id(sub) not in called:
                found.sure = False
        for call in block.find_all(jn.Call):
            if not isinstance(call.node, jn.Name) or call.node.name not in ("ref", "source"):
                continue
            consts = [a.value for a in call.args if isinstance(a, jn.Const)]
            if len(consts) != len(call.args) or call.kwargs or call.dyn_args or call.dyn_kwargs:
                found.sure = False
                continue
            if call.node.name == "ref" and consts:
                refs.append(str(consts[-1]))
            elif call.node.name == "source":
                uses_source = True
        found.entries.append(Entry(name, tuple(dict.fromkeys(refs)), uses_source))
    return found


def _scan_tokens(path: str, text: str, kind: str, stem: str, env: Any) -> FileIndex:
    """The ``ref``/``source`` calls of one template from its tokens; unsure unless all are constant.

    Each ``ref``/``source`` name (not an attribute: ``x.ref`` is something else) must be called
    with one or two (``source``: two) plain string literals; ``include``/``import``/``extends``
    make the file unsure. Comments and ``raw`` blocks hold no tokens.
    """
    quick = _scan_expressions(path, text, kind, stem)
    return quick if quick is not None else _scan_lexed(path, text, kind, stem, env)


def _scan_lexed(path: str, text: str, kind: str, stem: str, env: Any) -> FileIndex:
    """:func:`_scan_tokens` by Jinja's lexer: any template."""
    import jinja2

    found = FileIndex(path, kind)
    try:
        tokens = [(t, v) for _, t, v in env.lex(text, filename=path) if t != "whitespace"]
    except jinja2.TemplateSyntaxError:
        found.sure = False
        return found
    refs: list[str] = []
    uses_source = False
    for i, (typ, value) in enumerate(tokens):
        if typ != "name":
            continue
        before = tokens[i - 1] if i else ("", "")
        if before[0] == "block_begin" and value in _UNSURE_TAGS:
            found.sure = False
        if value not in ("ref", "source") or before == ("operator", "."):
            continue
        args = _literal_call(tokens, i + 1)
        if args is None or not (1 <= len(args) <= 2) or (value == "source" and len(args) != 2):
            found.sure = False
        elif value == "ref":
            refs.append(args[-1])
        else:
            uses_source = True
    found.entries.append(Entry(stem, tuple(dict.fromkeys(refs)), uses_source))
    return found


_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
_REF_NAME = re.compile(r"(?<![\w.])(ref|source)(?!\w)")
_STRING = r"""('[^'\\]*'|"[^"\\]*")"""
_IN_QUOTES = re.compile(r"'[^']*'|\"[^\"]*\"")
_QUOTED = re.compile(r"""(?:[^'"]|'[^']*'|"[^"]*")*""", re.S)
_LITERAL_CALL = re.compile(rf"(?:ref|source)\s*\(\s*{_STRING}(?:\s*,\s*{_STRING})?\s*\)")


def _scan_expressions(path: str, text: str, kind: str, stem: str) -> FileIndex | None:
    """What :func:`_scan_tokens` finds, from the text alone, for a template of ``{{ }}`` only.

    None (lex it) when the template has a statement or comment (``{%``, ``{#``), or an
    expression with braces, a backslash or an unclosed string (a ``}}`` inside a string), or a
    ``ref``/``source`` after a dot. Names inside strings are not names.
    """
    if "{%" in text or "{#" in text:
        return None
    expressions = _EXPRESSION.findall(text)
    if len(expressions) != text.count("{{"):
        return None
    found = FileIndex(path, kind)
    refs: list[str] = []
    uses_source = False
    for expr in expressions:
        if "{" in expr or "}" in expr or "\\" in expr or not _QUOTED.fullmatch(expr):
            return None
        code = _IN_QUOTES.sub(lambda m: m.group(0)[0] * len(m.group(0)), expr)  # strings hold no names
        for match in _REF_NAME.finditer(code):
            if code[: match.start()].rstrip().endswith("."):
                return None  # `x . ref`: an attribute, as the lexer reads it
            call = _LITERAL_CALL.match(expr, match.start())
            args = None if call is None else [a[1:-1] for a in call.groups() if a is not None]
            if args is None or (match.group(1) == "source" and len(args) != 2):
                found.sure = False
            elif match.group(1) == "ref":
                refs.append(args[-1])
            else:
                uses_source = True
    found.entries.append(Entry(stem, tuple(dict.fromkeys(refs)), uses_source))
    return found


def _literal_call(tokens: list[tuple[str, str]], start: int) -> list[str] | None:
    """The string arguments of ``( 'a', 'b' )`` at ``start``; None for anything else."""
    if tokens[start : start + 1] != [("operator", "(")]:
        return None
    args: list[str] = []
    i = start + 1
    while i < len(tokens):
        typ, value = tokens[i]
        if typ != "string" or "\\" in value or len(value) < 2:
            return None
        args.append(value[1:-1])
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if nxt == ("operator", ")"):
            return args
        if nxt != ("operator", ","):
            return None
        i += 2
    return None
