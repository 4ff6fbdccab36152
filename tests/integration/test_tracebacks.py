"""An error raised in the user's Python code points at the user's line.

The message names the innermost frame of the user's code (a helper module the model calls, not
the model's call line) and lists the user's frames with their source lines, without library
frames; ``--debug`` prints the whole chained traceback. The same in build, ``show``,
``pyflow.testing`` and YAML unit tests.
"""

from __future__ import annotations

import sys

import pytest

from pyflow.errors import CompileError

FILES = {
    "models/nums.sql": "select range as id from range(3)",
    "rateslib/__init__.py": "",
    "rateslib/rates.py": """
        def rate(total, count):
            return total / count


        def scaled(x):
            return rate(x, 0)
        """,
    "models/broken.py": """
        from rateslib.rates import scaled
        from pyflow import model


        @model()
        def broken(nums):
            factor = scaled(10)
            return nums.mutate(f=nums.id * factor)
        """,
    "models/unit_tests.yml": """
        unit_tests:
          - name: test_broken
            model: broken
            given:
              - input: ref('nums')
                rows: [{id: 1}]
            expect:
              rows: [{id: 1, f: 1}]
        """,
}
HEADLINE = (
    "model 'broken' (rateslib/rates.py:2): the model function raised: ZeroDivisionError: division by zero"
)
FRAMES = [
    "In your code (most recent call last):",
    "models/broken.py:7 in broken",
    "factor = scaled(10)",
    "rateslib/rates.py:6 in scaled",
    "return rate(x, 0)",
    "rateslib/rates.py:2 in rate",
    "return total / count",
]


@pytest.fixture
def broken(make_project):
    yield make_project(FILES, name="proj")
    # the helper package is imported as ``rateslib``: forget it, so the next test imports its own copy
    for name in [n for n in sys.modules if n == "rateslib" or n.startswith("rateslib.")]:
        del sys.modules[name]


def assert_points_at_the_helper(out: str, *, debug: bool = False) -> None:
    assert HEADLINE in out
    start = out.index(FRAMES[0])
    positions = [out.index(f, start) for f in FRAMES]
    assert positions == sorted(positions), out
    assert "Fix: fix the code at that line (in a module the function calls)" in out
    if not debug:  # library frames are left out
        assert "site-packages" not in out
        assert "pyflow/compile" not in out


def test_build_reports_an_error_in_a_helper_module_at_the_helpers_line(broken, pyflow):
    out = pyflow("build", "--project-dir", broken, "--exclude", "test_type:unit", expect=1).output

    assert_points_at_the_helper(out)
    assert "Traceback (most recent call last)" not in out


def test_debug_prints_the_whole_traceback_of_a_failed_model(broken, pyflow):
    out = pyflow("build", "--project-dir", broken, "--exclude", "test_type:unit", "--debug", expect=1).output

    assert "Traceback (most recent call last)" in out
    assert 'rateslib/rates.py", line 2, in rate' in out
    assert "pyflow/compile/python.py" in out  # library frames too
    assert "The above exception was the direct cause of the following exception" in out
    assert_points_at_the_helper(out, debug=True)


def test_show_reports_an_error_in_a_helper_module_at_the_helpers_line(broken, pyflow):
    out = pyflow("show", "broken", "--project-dir", broken, expect=1).output

    assert_points_at_the_helper(out)


def test_yaml_unit_test_reports_an_error_in_a_helper_module_at_the_helpers_line(broken, pyflow):
    out = pyflow("test", "--project-dir", broken, "--select", "test_type:unit", expect=1).output

    assert_points_at_the_helper(out)


def test_pyflow_testing_reports_an_error_in_a_helper_module_at_the_helpers_line(broken):
    import pandas as pd

    from pyflow.testing import run_model

    with pytest.raises(CompileError) as info:
        run_model(broken, "broken", inputs={"nums": pd.DataFrame({"id": [1]})})

    err = info.value
    assert (err.path, err.line) == ("rateslib/rates.py", 2)
    assert_points_at_the_helper(str(err))


def test_an_error_in_the_model_file_still_points_at_the_model_line(make_project, pyflow):
    root = make_project(
        {
            "models/nums.sql": "select 1 as id",
            "models/m.py": """
                from pyflow import model


                @model()
                def m(nums):
                    return nums.no_such_column
                """,
        }
    )

    out = pyflow("build", "--project-dir", root, expect=1).output

    assert "model 'm' (models/m.py:6): the model function raised: AttributeError" in out
    assert "models/m.py:6 in m" in out
    assert "Fix: fix the model function at that line" in out
    assert "ibis/" not in out


def test_compile_debug_prints_the_traceback_of_each_failed_model(make_project, pyflow):
    also = """
        from pyflow import model


        @model()
        def also_broken(nums):
            return {}["missing"]
        """
    root = make_project({**FILES, "models/also_broken.py": also}, name="proj")
    try:
        out = pyflow("compile", "--project-dir", root, "--debug", expect=1).output
    finally:
        for name in [n for n in sys.modules if n == "rateslib" or n.startswith("rateslib.")]:
            del sys.modules[name]

    assert "2 error(s) found in the project" in out
    assert 'rateslib/rates.py", line 2, in rate' in out
    assert 'models/also_broken.py", line 6, in also_broken' in out
    assert "KeyError: 'missing'" in out
    assert HEADLINE in out
