"""The ``@model``/``@snapshot`` functions of a Python module, read without importing it.

:func:`scan_python` is what the definition index (:mod:`pyflow.config.index`) records for a
Python file: each top-level function decorated with ``model``/``snapshot`` (by name or as an
attribute, ``pyflow.model``) and its parameters (the names it reads), and whether that is
certain. It is not when a decorator name is used any other way (``m = model``, a decorated
function inside a block, ``model`` called on a function), with ``*args``/``**kwargs``, with
another decorator on the function (it may change the signature), or when the file does not
parse.

Parsing a whole module builds an object per syntax node, most of them in function bodies the
index never reads (~75 µs for a 15-line model). So a module of the usual shape is first read
from its text (:func:`scan_text`): strings and comments are blanked, brackets followed to find
the top-level statements, and only the header of each decorated function (its decorator and
``def`` line) is read, with the same rules. Anything the text reading does not recognise for
certain (an f-string, a backslash line continuation, a ``;``, a stray quote, unbalanced brackets,
a decorator name anywhere but a top-level import or decorator) makes it give up, and the whole
module is parsed. One difference, by design: a syntax error in a function body the text
reading skips is found when the module is imported, not by the index.
"""

from __future__ import annotations

import ast
import bisect
import re

from pyflow.config.index import Entry, FileIndex

_DECORATORS = frozenset({"model", "snapshot"})
_WORD = re.compile(r"\b(?:model|snapshot)\b")


def scan_python(path: str, text: str) -> FileIndex:
    """The ``@model``/``@snapshot`` functions of a module: from its text when it can, else its AST."""
    found = scan_text(path, text)
    return found if found is not None else scan_tree(path, text)


def scan_tree(path: str, text: str) -> FileIndex:
    """:func:`scan_python` from the module's whole syntax tree."""
    found = FileIndex(path, "python")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        found.sure = False
        return found
    decorators: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _add_function(found, node, decorators)
    if _other_uses(text, tree, decorators):
        found.sure = False
    return found


def _add_function(
    found: FileIndex, node: ast.FunctionDef | ast.AsyncFunctionDef, decorators: set[int]
) -> None:
    """Record ``node`` when a decorator marks it; the ids of its marking names go in ``decorators``."""
    marks = [d for d in node.decorator_list if _decorator_name(d) in _DECORATORS]
    if not marks:
        return
    decorators.update(id(_decorator_target(d)) for d in marks)
    args = node.args
    if len(node.decorator_list) > 1 or args.vararg or args.kwarg:
        found.sure = False  # another decorator may change the signature
    if node.name.startswith("_"):
        return
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    found.entries.append(Entry(node.name, tuple(p for p in params if p != "ctx")))


def _other_uses(text: str, tree: ast.Module, decorators: set[int]) -> bool:
    """True when ``model``/``snapshot`` appears other than as a decorator: models made at import.

    The text is searched first: when every occurrence is on a decorator line (once), an import,
    a docstring or a comment, the tree need not be walked (the walk costs more than parsing).
    """
    allowed: dict[int, int] = {}  # line -> occurrences allowed on it (-1: any)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) or _is_docstring(node):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                allowed[line] = -1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if id(_decorator_target(deco)) in decorators:
                    allowed.setdefault(deco.lineno, 1)
            if node.body and _is_docstring(node.body[0]):
                doc = node.body[0]
                for line in range(doc.lineno, (doc.end_lineno or doc.lineno) + 1):
                    allowed[line] = -1
    seen: dict[int, int] = {}
    for match in _WORD.finditer(text):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        seen[line] = seen.get(line, 0) + 1
        limit = allowed.get(line)
        if limit == -1:
            continue
        before = text[text.rfind("\n", 0, start) + 1 : start]
        if "#" in before and not any(q in before for q in "'\""):
            continue  # in a comment
        if limit is None or seen[line] > limit:
            return _walk_finds(tree, decorators)
    return False


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _walk_finds(tree: ast.AST, decorators: set[int]) -> bool:
    """The decorator names used any other way than decorating a function, found in the tree."""
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and sub.id in _DECORATORS and id(sub) not in decorators:
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in _DECORATORS and id(sub) not in decorators:
            return True
    return False


def _decorator_target(deco: ast.expr) -> ast.expr:
    return deco.func if isinstance(deco, ast.Call) else deco


def _decorator_name(deco: ast.expr) -> str | None:
    target = _decorator_target(deco)
    if isinstance(target, ast.Name):
        return target.id
    return target.attr if isinstance(target, ast.Attribute) else None


_SPECIAL = re.compile(r"[#'\"]")
_BODIES = {
    "'''": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    "'": re.compile(r"'(?:[^'\\\n]|\\.)*'", re.S),
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"', re.S),
}
_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb"})
"""String prefixes (lower case) the text reading follows; an f-string holds code."""
_SKELETON = str.maketrans({c: None for c in map(chr, range(128)) if c not in "()[]{}\n"})
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KIND = re.compile(r"(@)|(?:async\s+)?(def)\b|(?:import|from)\b()")
_KINDS = {1: "@", 2: "def", 3: "import"}
_DECORATOR = re.compile(rf"@\s*(?:{_NAME}\s*\.\s*)*(?:model|snapshot)\s*(\(.*\))?", re.S | re.A)
_DEF = re.compile(rf"(?:async\s+)?def\s+({_NAME})\s*\((.*)\)\s*(?:->.*?)?:", re.S | re.A)
_PARAM = re.compile(rf"({_NAME})\s*(?::|=|\Z)", re.S | re.A)


def scan_text(path: str, text: str) -> FileIndex | None:
    """:func:`scan_python` from the text alone; None when it cannot be sure of the answer.

    It answers for modules whose decorator names appear only in top-level imports and in
    single decorators (``@model``, ``@model(...)``, ``@<name>.model(...)``) right above a
    ``def`` header of plain parameters. The answer is then the whole-tree scan's: a test
    compares them on the repository's Python files and on generated and mutated modules.
    """
    code = _blank(text)
    if code is None or not code.isascii():
        return None  # a name outside ASCII: the parser normalises names (NFKC)
    starts = _logical_starts(code)
    if starts is None:
        return None  # brackets that do not balance: the parser says where
    found = FileIndex(path, "python")
    words = _words(code)
    if not words:
        return found  # no decorator name outside strings and comments: no model
    ends = [*starts[1:], len(code)]
    done: set[int] = set()
    for word in words:
        at = bisect.bisect_right(starts, word) - 1
        kind = _kind(code, starts[at])
        if kind == "import" or at in done:
            continue
        if kind != "@" or at + 1 == len(starts) or _kind(code, starts[at + 1]) != "def":
            return None  # used some other way, or a decorated class
        if at and _kind(code, starts[at - 1]) == "@":
            return None  # a second decorator (the tree scan is unsure of those)
        if sum(starts[at] <= w < ends[at + 1] for w in words) != 1:
            return None  # the name again, in the decorator's arguments or the header
        decorator = code[starts[at] : ends[at]].strip()
        if not _add_header(found, decorator, code[starts[at + 1] : ends[at + 1]].strip()):
            return None
        done.add(at)
    return found


def _words(code: str) -> list[int]:
    """Where ``model``/``snapshot`` occur as whole words (as ``_WORD`` finds them, faster)."""
    found: list[int] = []
    for word in _DECORATORS:
        at = code.find(word)
        while at >= 0:
            end = at + len(word)
            if (not at or not _in_name(code[at - 1])) and (end == len(code) or not _in_name(code[end])):
                found.append(at)
            at = code.find(word, end)
    return sorted(found)


def _in_name(char: str) -> bool:
    return char.isalnum() or char == "_"


def _blank(text: str) -> str | None:
    """The text with strings and comments replaced by spaces (same offsets); None if unsure."""
    parts: list[str] = []
    last = 0
    while (special := _SPECIAL.search(text, last)) is not None:
        at = special.start()
        if text[at] == "#":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
        else:
            begin = at
            while begin and (text[begin - 1].isalnum() or text[begin - 1] == "_"):
                begin -= 1
            if text[begin:at].lower() not in _PREFIXES:
                return None  # an f-string, or a quote right after a name
            quote = text[at : at + 3] if text[at : at + 3] in _BODIES else text[at]
            body = _BODIES[quote].match(text, at)
            if body is None:
                return None  # a string that is not closed
            at, end = begin, body.end()
        parts.append(text[last:at])
        parts.append(" " * (end - at))
        last = end
    parts.append(text[last:])
    code = "".join(parts)
    return None if "\\" in code or ";" in code else code  # a line continuation, two statements


def _logical_starts(code: str) -> list[int] | None:
    """Where each logical line that is not blank starts; None if the brackets do not balance.

    Indented lines (the bodies of compound statements) are logical lines too.
    """
    depth = 0
    start = 0
    out: list[int] = []
    for line, brackets in zip(code.split("\n"), code.translate(_SKELETON).split("\n"), strict=True):
        if not depth and line and not line.isspace():
            out.append(start)
        start += len(line) + 1
        for char in brackets:
            depth += 1 if char in "([{" else -1
            if depth < 0:
                return None
    return None if depth else out


def _kind(code: str, start: int) -> str:
    """``@`` (a decorator), ``def``, ``import`` (``import``/``from``) or ``other`` (indented too)."""
    kind = None if code[start] in " \t\f" else _KIND.match(code, start)
    return "other" if kind is None else _KINDS[kind.lastindex or 0]


def _add_header(found: FileIndex, decorator: str, header: str) -> bool:
    """Record one decorated function from its decorator and ``def`` line (strings blanked).

    False unless the decorator is one (dotted) name called at most once, and the header has
    plain parameters (``name``, ``name: annotation``, ``name=default``, ``*``, ``/``, ``*args``).
    """
    deco, sig = _DECORATOR.fullmatch(decorator), _DEF.fullmatch(header)
    if deco is None or sig is None or (deco.group(1) is not None and not _one_call(deco.group(1))):
        return False
    params = _split_params(sig.group(2))
    if params is None:
        return False
    names: list[str] = []
    for param in params:
        if param in ("*", "/"):
            continue
        if param.startswith("*"):
            found.sure = False  # *args, **kwargs: as the tree scan says
            continue
        match = _PARAM.match(param)
        if match is None:
            return False
        names.append(match.group(1))
    if not sig.group(1).startswith("_"):
        found.entries.append(Entry(sig.group(1), tuple(n for n in names if n != "ctx")))
    return True


def _one_call(call: str) -> bool:
    """``(...)`` closes at its last character only: one call, not ``(a)(b)``."""
    depth = 0
    skeleton = call.translate(_SKELETON).replace("\n", "")
    for i, char in enumerate(skeleton):
        depth += 1 if char in "([{" else -1
        if not depth and i < len(skeleton) - 1:
            return False
    return not depth


def _split_params(params: str) -> list[str] | None:
    """A header's parameters, split at top-level commas; None if the brackets do not balance."""
    if not any(c in params for c in "()[]{}"):
        parts = params.split(",")
    else:
        parts, depth, last = [], 0, 0
        for i, char in enumerate(params):
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth < 0:
                    return None
            elif char == "," and not depth:
                parts.append(params[last:i])
                last = i + 1
        if depth:
            return None
        parts.append(params[last:])
    stripped = [p.strip() for p in parts]
    if len(stripped) > 1 and not stripped[-1]:
        stripped.pop()  # a trailing comma
    if stripped == [""]:
        return []
    return None if not all(stripped) else stripped
