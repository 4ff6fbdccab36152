"""Tests for pyflow.config.loadstate.helpers_digest: which Python files invalidate parsed models."""

from __future__ import annotations

import os
from pathlib import Path

from pyflow.config.loadstate import helpers_digest
from pyflow.config.project import load_project_config


def _write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_helpers_digest_covers_helpers_and_never_model_target_or_hidden_files(tmp_path: Path) -> None:
    # the digest walked every .py file of the project with rglob and then dropped model files:
    # a 10,000-model project paid for listing them all; the model folders are now never entered
    _write(tmp_path, "pyflow.yml", "name: proj\nmodel-paths: [models, more/models]\n")
    config, _ = load_project_config(tmp_path)
    helper = _write(tmp_path, "lib/util.py")
    before = helpers_digest(tmp_path, config)

    for rel in (
        "models/m.py",
        "more/models/n.py",
        "target/compiled.py",
        "logs/x.py",
        ".venv/lib/site.py",
        "venv/lib/site.py",
        "lib/__pycache__/util.py",
        "node_modules/x.py",
        "lib/.hidden.py",
        "lib/notes.txt",
    ):
        _write(tmp_path, rel)
    assert helpers_digest(tmp_path, config) == before

    _write(tmp_path, "lib/util.py", "x = 2  # edited\n")
    edited = helpers_digest(tmp_path, config)
    _write(tmp_path, "more/helpers.py")
    added = helpers_digest(tmp_path, config)
    os.remove(helper)

    assert len({before, edited, added, helpers_digest(tmp_path, config)}) == 4
