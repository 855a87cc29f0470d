"""Text from a table (column names, file names, titles, cell values, messages naming them) shown as Markdown.

Markdown renders `![x](https://host/b.png)` as an image the browser fetches, `[a](url)` and bare
`https://...` as links, and (GitHub, Streamlit with HTML on) `<img onerror=...>` as HTML. Streamlit adds
`:red[...]`, `:material/...:` and `$...$` (LaTeX). `markdown_text` turns any string into Markdown that shows
exactly that string and nothing else: every character with a meaning is backslash-escaped (CommonMark lets
any ASCII punctuation be escaped), line breaks become spaces, and a zero-width space breaks up `://`, `www.`
and `@` (shown the same, never turned into a link). It is the one escaping function for the
Markdown export and for every page that passes such a string to st.markdown, st.caption, st.info, ...,
a widget label or a tooltip.

`plot_text` is the same guard for plotly labels, which understand a few HTML tags (`<a href>`, `<b>`, `<br>`)
and entities instead of Markdown.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Every ASCII punctuation character Markdown, GFM or Streamlit give a meaning to anywhere in a line:
# emphasis, code, links, images, HTML and entities, tables, headings, strikethrough, LaTeX, Streamlit's
# :colour[...] / :material/...: directives and emoji shortcodes, e-mail autolinks.
_ANYWHERE = re.compile(r"([\\`*_{}\[\]()#!|<>~$&:@])")
# Meaningful only at the start of a line (lists; block quotes and headings are covered above).
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+\.)")
# GFM links bare `https://...`, `www.x` and `a@b.c`; renderers built on mdast (Streamlit's react-markdown)
# find them in the text after escapes are read, so an escape is not enough: a zero-width space breaks each.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")


def markdown_text(value: Any) -> str:
    """`value` as Markdown text that renders as exactly its characters: no image, link, HTML, heading,
    emphasis, table cell break or Streamlit directive can come from it. None becomes ''."""
    text = _BREAKS.sub(" ", "" if value is None else str(value))
    text = _AUTOLINK.sub("\u200b", text)
    text = _ANYWHERE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def plot_text(value: Any) -> str:
    """`value` for a plotly title, tick or hover label: shown as its characters, never as a tag or link."""
    return html.escape("" if value is None else str(value), quote=False)
