"""dbt's docs blocks: ``{% docs name %} ... {% enddocs %}`` in ``.md`` files, and ``{{ doc('name') }}`` in descriptions.

Docs blocks are read from the ``.md`` files under the model, seed, snapshot and macro paths
(dbt's default ``docs-paths``). A ``description`` of a YAML properties file that calls
``doc('name')`` (or ``doc('package', 'name')``) is rendered with the block's text before the
file is read, so the manifest holds the text, as in dbt's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyflow.config.files import project_files
from pyflow.config.yamlfile import Loc, YamlDoc
from pyflow.errors import ProjectError, PyflowError, closest

_BLOCK = re.compile(r"\{%-?\s*docs\s+([A-Za-z_][\w]*)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.DOTALL)


def read_doc_blocks(root: Path, folders: tuple[str, ...]) -> dict[str, str]:
    """Every docs block under ``folders``: name -> text (stripped)."""
    blocks: dict[str, str] = {}
    for path in project_files(root, folders, (".md",)):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # not a docs file pyflow can read; dbt would not read it either
        for name, body in _BLOCK.findall(text):
            blocks.setdefault(name, body.strip())
    return blocks


def render_descriptions(data: Any, blocks: dict[str, str], doc: YamlDoc, loc: Loc = ()) -> Any:
    """``data`` with every ``description`` that calls ``doc()`` rendered; other values untouched."""
    if isinstance(data, dict):
        return {
            k: _render(v, blocks, doc, (*loc, k))
            if k == "description" and isinstance(v, str) and "doc(" in v
            else render_descriptions(v, blocks, doc, (*loc, k))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [render_descriptions(v, blocks, doc, (*loc, i)) for i, v in enumerate(data)]
    return data


def _render(text: str, blocks: dict[str, str], doc: YamlDoc, loc: Loc) -> str:
    import jinja2.sandbox

    def lookup(*args: str) -> str:
        name = args[-1] if args else ""
        if name not in blocks:
            raise ProjectError(
                f"doc('{name}') names no docs block",
                path=doc.display,
                line=doc.line_of(loc),
                suggestions=closest(name, list(blocks)),
                hint=f"define it in a .md file under the model paths: {{% docs {name} %}}...{{% enddocs %}}",
                code="unknown-doc",
            )
        return blocks[name]

    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(text).render(doc=lookup)
    except PyflowError:
        raise
    except Exception as exc:
        raise ProjectError(
            f"cannot render the description: {type(exc).__name__}: {exc}",
            path=doc.display,
            line=doc.line_of(loc),
            hint="a description may call {{ doc('name') }}; quote the braces if they are literal",
            code="unknown-doc",
        ) from None
