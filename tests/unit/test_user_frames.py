"""Tests for the user-frame helpers of pyflow.errors: which frames of a traceback are the user's."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

from pyflow import errors
from pyflow.errors import display_path, format_user_frames, is_user_file, user_frames


def test_library_files_are_not_the_users() -> None:
    assert not is_user_file(json.__file__)  # the standard library
    assert not is_user_file(str(Path(sysconfig.get_paths()["purelib"]) / "ibis" / "__init__.py"))
    assert not is_user_file(errors.__file__)  # pyflow itself
    assert not is_user_file("<frozen importlib._bootstrap>")
    assert not is_user_file("/project/.venv/lib/python3.11/site-packages/pandas/core/frame.py")


def test_project_files_are_the_users(tmp_path: Path) -> None:
    assert is_user_file(str(tmp_path / "models" / "m.py"))
    assert is_user_file(str(tmp_path / "lib" / "helpers.py"))


def _raise_through_json(tmp_path: Path) -> BaseException:
    helper = tmp_path / "lib" / "helpers.py"
    helper.parent.mkdir()
    helper.write_text("import json\n\n\ndef parse(text):\n    return json.loads(text)\n", encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(helper.read_text(), str(helper), "exec"), namespace)
    try:
        namespace["parse"]("{not json")  # type: ignore[operator]
    except ValueError as exc:
        return exc
    raise AssertionError("no error")


def test_user_frames_leave_out_the_library_frames_below_the_users(tmp_path: Path) -> None:
    exc = _raise_through_json(tmp_path)

    frames = user_frames(exc)

    assert [(Path(f.filename).name, f.name) for f in frames] == [
        ("test_user_frames.py", "_raise_through_json"),
        ("helpers.py", "parse"),
    ]
    assert frames[1].lineno == 5
    text = format_user_frames(frames[1:], tmp_path)
    assert (
        text
        == "In your code (most recent call last):\n  lib/helpers.py:5 in parse\n    return json.loads(text)"
    )


def test_display_path_is_relative_to_the_project_when_under_it(tmp_path: Path) -> None:
    inside = str(tmp_path / "lib" / "x.py")

    assert display_path(inside, tmp_path) == "lib/x.py"
    assert display_path("/elsewhere/x.py", tmp_path) == "/elsewhere/x.py"
