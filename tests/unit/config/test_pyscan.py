"""Reading a Python module's ``@model``/``@snapshot`` functions without importing it (pyflow.config.pyscan).

The text reading must give the whole-tree scan's answer whenever it gives one: checked on every
Python file of the repository, on generated modules made of tricky fragments (strings that look
like models, comments, f-strings, multi-line headers, decorators in blocks) and on random
one-character edits of those that still parse.
"""

from __future__ import annotations

import ast
import random

import pytest

from pyflow.config import pyscan
from pyflow.config.pyscan import scan_python, scan_text, scan_tree
from tests.unit.config.repofiles import REPO, repo_files

FRAGMENTS = [
    "from pyflow import model, snapshot",
    "from pyflow import (\n    model,\n    snapshot,\n)",
    "import pyflow\nimport functools",
    'X = "model # not a comment"',
    "Y = '''\n@model\ndef fake(a):\n    pass\n'''",
    '"""Module docstring: a model."""',
    "# @model\n# def commented(a): ...",
    "@model\ndef a(b, c):\n    return b",
    '@model(tags=["x"], config={"a": [1, 2]})\n'
    'def d(e: "ibis.Table", f=lambda x: x[1:]) -> dict[str, int]:\n    return e',
    "@pyflow.model\ndef g(h):  # a comment about the model\n    return h",
    "@model\nasync def i(j):\n    return j",
    "@model\ndef k(l): return l",
    '@model(\n    materialized="table",\n)\ndef m2(\n    n,\n    o,\n):\n    """Doc: model."""\n    return n',
    "@functools.cache\ndef helper(x):\n    return x",
    "@functools.cache\n@model\ndef p(q):\n    return q",
    "def r(s):\n    return model(s)",
    "m = model",
    "@model\ndef _private(t):\n    return t",
    "@model\ndef u(*args, **kwargs):\n    return args",
    '@model\ndef v(w, ctx):\n    s = f"{w} model"\n    return w',
    "class C:\n    @model\n    def x(self, y):\n        return y",
    "@functools.total_ordering\nclass D:\n    a: int = 1",
    "if True:\n    @model\n    def z(a):\n        return a",
    "x = [\n'@model',\n]",
    'raw = r"\\\\"  # model',
    "y = 1 + \\\n    2",
    "@model\ndef aa(bb=model):\n    return bb",
    '@snapshot(strategy="check")\ndef cc(dd):\n    return dd',
    'z = {"a": "b"}[\n"a"]',
    '@model\ndef ee(ff: "model"):\n    return ff',
    "t = b'model' + rb\"x\" + 'it''s'",
    "@model  # the model\ndef gg(hh):\n    return hh.snapshot",
    "@model\ndef model_like(model_input, snapshot_of):\n    return model_input",
    "a = 1; b = model",
    "@model\n\ndef spaced(x):\n    return x",
    "@model(tags=[m for model in range(2)])\ndef comp(x):\n    return x",
    '@model\ndef esc(x):\n    return "\\"model\\""',
    "@pyflow.snapshot\ndef snap(x, /, y, *, z):\n    return x",
    '@model\ndef café(x):\n    """Le modèle: €."""  # très\n    return x',
    "@model\ndef ﬁle_model(ﬁle):\n    return ﬁle",
    '"""Données (€)."""\n@model  # modèle\ndef ascii_only(x):\n    return x',
]


def programs(rng: random.Random, count: int) -> list[str]:
    """Modules of one to six fragments, in random order."""
    return ["\n\n".join(rng.sample(FRAGMENTS, rng.randint(1, 6))) + "\n" for _ in range(count)]


def mutations(rng: random.Random, count: int) -> list[str]:
    """Generated modules with one character deleted, doubled or inserted (a quote, a bracket...)."""
    out = []
    for text in programs(rng, count):
        at = rng.randrange(len(text))
        edit = rng.choice(["delete", "double", *"'\"#([{}])\\;@:\n "])
        if edit == "delete":
            out.append(text[:at] + text[at + 1 :])
        elif edit == "double":
            out.append(text[:at] + text[at] + text[at:])
        else:
            out.append(text[:at] + edit + text[at:])
    return out


def _agree(texts: list[str]) -> tuple[int, int]:
    """Modules that parse, and those the text reading answered for; asserts its answers."""
    parsed = answered = 0
    for text in texts:
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            continue  # by design, a syntax error in a skipped body is left to the import
        parsed += 1
        fast = scan_text("models/m.py", text)
        if fast is None:
            continue
        answered += 1
        tree = scan_tree("models/m.py", text)
        assert (fast.sure, fast.entries) == (tree.sure, tree.entries), text
    return parsed, answered


def test_text_reading_agrees_with_the_tree_on_generated_modules():
    parsed, answered = _agree(programs(random.Random(1), 1500))

    assert parsed == 1500
    assert 0.1 * parsed < answered < parsed  # it answers for many, and gives up on the tricky


def test_text_reading_agrees_with_the_tree_after_random_edits():
    parsed, answered = _agree(mutations(random.Random(2), 3000))

    assert parsed > 500 and answered > 100


def test_text_reading_answers_for_every_model_of_the_repository():
    models = [p for p in repo_files(".py") if "/models/" in p.as_posix()]
    every = [
        p for base in ("examples", "tests", "pyflow", "bench", "docs") for p in (REPO / base).rglob("*.py")
    ]

    assert len(models) >= 5
    assert all(scan_text(str(p), p.read_text()) is not None for p in models), "plain models take the fast way"
    assert _agree([p.read_text() for p in every])[1] > 100


@pytest.mark.parametrize(
    "text",
    [
        'x = f"{model}"\n',
        "from pyflow import model\ndef a(b):\n    return b\na = model(a)\n",
        "from pyflow import model\nif True:\n    @model\n    def a(b):\n        return b\n",
        "@model\nclass A:\n    pass\n",
        "from pyflow import model\n@model\ndef a(b):\n    return (b,\n",
        "x = 1; y = 2\n",
        "x = 'unclosed\n",
        "y = 1 + \\\n    2\n",
    ],
    ids=["f-string", "called", "in-a-block", "class", "unbalanced", "semicolon", "quote", "continuation"],
)
def test_text_reading_gives_up_on_what_it_cannot_follow(text):
    assert scan_text("models/m.py", text) is None


def test_text_reading_skips_a_model_written_inside_a_string():
    text = "from pyflow import model\nDOC = '''\n@model\ndef fake(a):\n    pass\n'''\n\n@model\ndef real(b):\n    return b\n"

    fast = scan_text("models/m.py", text)

    assert fast is not None and fast.sure
    assert [(e.name, e.refs) for e in fast.entries] == [("real", ("b",))]


def test_scan_python_finds_decorated_functions_and_their_parameters():
    found = scan_python(
        "models/m.py",
        "from pyflow import model\nimport pyflow\n\n"
        "@model(materialized='table')\ndef a(b, c, ctx):\n    return b\n\n"
        "@pyflow.model\ndef d(a):\n    return a\n\n"
        "def helper(x):\n    return x\n\n@model\ndef _private(a):\n    return a\n",
    )

    assert found.sure
    assert [(e.name, e.refs) for e in found.entries] == [("a", ("b", "c")), ("d", ("a",))]


@pytest.mark.parametrize(
    "text",
    [
        "from pyflow import model\ndef a(b):\n    return b\na = model(a)\n",
        "from pyflow import model\nif True:\n    @model\n    def a(b):\n        return b\n",
        "from pyflow import model\n@model\ndef a(*args):\n    return args\n",
        "from pyflow import model\nimport functools\n@functools.cache\n@model\ndef a(b):\n    return b\n",
        "def a(:\n",
    ],
    ids=["decorator-called", "inside-a-block", "varargs", "two-decorators", "syntax-error"],
)
def test_scan_python_is_unsure_of_models_made_any_other_way(text):
    assert not scan_python("models/m.py", text).sure


def test_python_scan_text_check_agrees_with_walking_the_tree(monkeypatch):
    corpus = [
        "from pyflow import model\n\n@model\ndef a(b):\n    '''A model.'''\n    return b\n",
        "'''Models: model a.'''\nfrom pyflow import model, snapshot\n# model here\n@model(tags=['model'])\ndef a(b):\n    return b\n",
        "from pyflow import model\n\n@model\ndef a(b):\n    x = 'model'\n    return b\n",
        "from pyflow import model\n\n@model\ndef a(b):\n    return model(b)\n",
        "from pyflow import model\n\ndef f():\n    @model\n    def a(b):\n        return b\n    return a\n",
        "from pyflow import model\nm = model\n\n@m\ndef a(b):\n    return b\n",
        "import pyflow\n\n@pyflow.model\ndef a(b):\n    return b.snapshot\n",
        "from pyflow import model\n\n@model  # the model\ndef a(b):\n    return b\n",
        *(p.read_text() for p in repo_files(".py") if "/models/" in p.as_posix()),
    ]
    text_checked = [scan_tree("models/m.py", t).sure for t in corpus]
    monkeypatch.setattr(
        pyscan, "_other_uses", lambda text, tree, decorators: pyscan._walk_finds(tree, decorators)
    )
    walked = [scan_tree("models/m.py", t).sure for t in corpus]

    assert text_checked == walked
    assert any(text_checked) and not all(text_checked)
