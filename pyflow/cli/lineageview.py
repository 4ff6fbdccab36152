"""``pyflow show --lineage MODEL.COLUMN``: a column's upstream and downstream trees as text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyflow.runner.session import Session


def lineage_text(session: Session, spec: str, output: str) -> str:
    """The trees of ``spec`` as indented text (``--output table``) or JSON (``--output json``)."""
    from pyflow.runner.columntree import column_trees, tree_lines

    trees = column_trees(session, spec)
    if output == "json":
        return json.dumps(trees, indent=2)
    return "\n".join(tree_lines(session, trees))
