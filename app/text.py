"""Text from the URL or from provider data, made safe to show in Streamlit's Markdown."""

from __future__ import annotations

import html
import re

import polars as pl

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them
# all defeats links, autolinks (`http\://`, `www\.`), emphasis, HTML tags, Streamlit's
# `:color[...]`/`:material/...:` directives and `$` LaTeX in one rule.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LONG = 80  # characters: enough for a firm or company name, not for a pasted page


def plain(value: object, *, limit: int = _LONG) -> str:
    """Return `value` as text that Markdown renders literally (one line, at most `limit`
    characters, `…` marking a cut)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _PUNCTUATION.sub(r"\\\1", text)


def chart_text(value: object) -> object:
    """Return a string escaped for Plotly's text (which renders `<a href>`, `<b>`, `<br>`…;
    it decodes the entities back), any other value unchanged."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def chart_text_expr(column: str) -> pl.Expr:
    """`column` (strings) escaped for Plotly's text, as a Polars expression."""
    return (
        pl.col(column)
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
