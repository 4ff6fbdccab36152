"""Tests for pyflow.config.pydeps: what a Python model depends on besides its function."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from pyflow.config.pydeps import ProjectImports, module_context, module_imports, parse

MODULE = '''
"""Two models and what they share."""

import ibis

from pyflow import model

RATE = 2


def helper(t):
    return t.mutate(r=t.v * RATE)


@model
def first(raw: ibis.Table) -> ibis.Table:
    return helper(raw)


@model(materialized="table")
def second(raw: ibis.Table) -> ibis.Table:
    return raw.filter(raw.v > 1)
'''
MODELS = {"first", "second"}


def _context(text: str) -> str:
    return module_context(parse(text), text, MODELS)


def test_context_changes_with_module_code_not_with_the_models_themselves() -> None:
    base = _context(MODULE)
    # a model's own body, its decorator, the blank lines around it: no change of the context
    assert _context(MODULE.replace("raw.v > 1", "raw.v > 5")) == base
    assert _context(MODULE.replace('@model(materialized="table")', "@model")) == base
    assert _context(MODULE.replace("\n\n\n@model\ndef first", "\n\n\n\n\n@model\ndef first")) == base
    moved = MODULE.replace("RATE = 2\n", "") + "\nRATE = 2\n"
    assert _context(moved) != base  # the module's own code moved: it counts
    # what the models read at module level: a constant, a helper, an import, the docstring
    assert _context(MODULE.replace("RATE = 2", "RATE = 3")) != base
    assert _context(MODULE.replace("t.v * RATE", "t.v + RATE")) != base
    assert _context(MODULE.replace("import ibis\n", "import ibis\nimport math\n")) != base
    assert _context(MODULE.replace("Two models", "2 models")) != base
    # a new model beside them is no change; a non-model function is
    third = MODULE + "\n\n@model\ndef third(raw):\n    return raw\n"
    assert module_context(parse(third), third, {*MODELS, "third"}) == base
    assert _context(MODULE + "\n\ndef util():\n    return 1\n") != base


def test_context_lines_are_the_parsers_lines() -> None:
    # a form feed or a line separator inside a string is no line break to Python: the model's
    # lines are still found (splitlines() would shift them), and CRLF files read the same
    odd = MODULE.replace('"""Two models', '"""Two\x0c models\u2028')
    assert _context(odd) == _context(odd.replace("raw.v > 1", "raw.v > 7"))
    assert _context(MODULE.replace("\n", "\r\n")) == _context(MODULE)
    # a file that does not parse: its whole text counts
    assert module_context(None, "def (", MODELS) != module_context(None, "def ((", MODELS)


def test_imports_at_any_depth_with_relative_levels() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            import a.b
            from c import d, e as f
            from . import g
            from ..h import i
            from j import *

            def fn():
                import k
                if True:
                    from l import m
                try:
                    import n
                except ImportError:
                    import o
            """
        )
    )
    assert sorted(module_imports(tree)) == sorted(
        [
            ["a.b", 0],
            ["c", 0],
            ["c.d", 0],
            ["c.e", 0],
            ["", 1],
            ["g", 1],
            ["h", 2],
            ["h.i", 2],
            ["j", 0],
            ["k", 0],
            ["l", 0],
            ["l.m", 0],
            ["n", 0],
            ["o", 0],
        ]
    )
    assert module_imports(None) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_project_imports_follow_project_files_transitively(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/money.py": "from lib.consts import FACTOR\nfrom . import units\n",
            "lib/consts.py": "FACTOR = 100\n",
            "lib/units.py": "UNIT = 'usd'\n",
            "lib/unused.py": "X = 1\n",
            "models/shared.py": "Y = 2\n",
            "models/m.py": "",
        },
    )
    model_file = tmp_path / "models" / "m.py"
    imports = module_imports(parse("import ibis\nfrom lib.money import to_dollars\nfrom . import shared\n"))

    def digest() -> str:
        return ProjectImports(tmp_path).digest(model_file, imports)

    before = digest()
    assert before != ""
    for rel, text in [
        ("lib/consts.py", "FACTOR = 1000\n"),  # imported by an imported module
        ("lib/units.py", "UNIT = 'eur'\n"),  # relative import of an imported module
        ("lib/__init__.py", "# package\n"),  # runs on `import lib.money`
        ("models/shared.py", "Y = 3\n"),  # the model's own relative import
    ]:
        old = (tmp_path / rel).read_text()
        (tmp_path / rel).write_text(text)
        assert digest() != before, rel
        (tmp_path / rel).write_text(old)
        assert digest() == before
    (tmp_path / "lib/unused.py").write_text("X = 2\n")  # imported by nobody: no change
    assert digest() == before
    # names that are no project file (libraries, the standard library) count for nothing
    assert ProjectImports(tmp_path).digest(model_file, module_imports(parse("import os, ibis\n"))) == ""


def test_project_imports_are_portable_and_survive_cycles(tmp_path: Path) -> None:
    files = {"a.py": "import b\n", "b.py": "import a\n", "models/m.py": ""}
    imports = [["a", 0]]
    _write(tmp_path / "one", files)
    _write(tmp_path / "two", files)
    digests = [
        ProjectImports(tmp_path / d).digest(tmp_path / d / "models/m.py", imports) for d in ("one", "two")
    ]
    assert digests[0] == digests[1] != ""  # paths count relative to the project
