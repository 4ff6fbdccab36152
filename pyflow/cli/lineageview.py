"""``pyflow show --lineage MODEL.COLUMN``: print a column's upstream and downstream trees."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyflow.runner.session import Options


def show_lineage(spec: str, opts: Options, output: str, debug: bool) -> None:
    """Print the trees of ``spec`` as indented text (``--output table``) or JSON."""
    from pyflow.cli.main import _echo, _errors, _session, _usage, _warn

    if output not in ("table", "json"):
        _usage(f"--output must be table or json, not '{output}'")
    with _errors(debug), _session(opts, _warn) as session:
        from pyflow.runner.columntree import column_trees, tree_lines

        trees = column_trees(session, spec)
        if output == "json":
            _echo(json.dumps(trees, indent=2))
            return
        for line in tree_lines(session, trees):
            _echo(line)
