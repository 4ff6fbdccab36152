"""Descriptions as HTML for the docs site: Markdown rendered at generate time, HTML escaped.

Raw HTML in a description is shown as text (``html`` is off), and links to ``javascript:``,
``vbscript:``, ``file:`` and ``data:`` URLs stay text (markdown-it's link validation), so a
description can never run script in the site.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def render_markdown(text: str | None) -> str:
    """``text`` (CommonMark plus tables) as safe HTML; empty for an empty description."""
    if not text or not text.strip():
        return ""
    return str(_parser().render(text))
