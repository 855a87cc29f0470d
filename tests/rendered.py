"""What a reader sees of Markdown built with `analysis.text_safety.markdown_text`: AppTest gives an element's
Markdown source, so tests that compare a page's text with an engine's string read it through `shown`."""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation


def shown(markdown: str) -> str:
    return _ESCAPED.sub(r"\1", markdown).replace("\u200b", "")
