"""Text views of a sample that dedupe, split and decontamination compare.

A sample's text is its turns as lines (``role: content`` for exact comparison) (preference rows add the chosen
and rejected turns), normalised with Unicode NFKC, lower case and collapsed whitespace,
so that copies differing only in width forms, case or spacing compare equal.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

__all__ = [
    "TURN_COLUMNS",
    "has_cjk",
    "last_reply_expr",
    "normalize_expr",
    "normalize_text",
    "roles_expr",
    "sample_text_expr",
    "turn_columns",
]

#: Columns holding turns, in the order they are compared and scrubbed.
TURN_COLUMNS = ("messages", "chosen", "rejected")

_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def normalize_text(text: str) -> str:
    """NFKC, lower case, whitespace collapsed (the Python twin of ``normalize_expr``)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


# Text that is printable ASCII with single spaces or newlines between words: NFKC changes
# nothing there and collapsing whitespace is a plain newline replace (10x cheaper).
_NEEDS_FULL_NORMALIZATION = r"[^\x20-\x7e\n]|[ \n][ \n]|^[ \n]|[ \n]$"


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    full = (
        expr.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    )
    plain = expr.str.replace_all("\n", " ", literal=True).str.to_lowercase()
    return pl.when(expr.str.contains(_NEEDS_FULL_NORMALIZATION)).then(full).otherwise(plain)


def turn_columns(frame: pl.DataFrame | pl.Schema) -> list[str]:
    """The turn columns present in ``frame`` (``messages``, and ``chosen``/``rejected``)."""
    names = frame.columns if isinstance(frame, pl.DataFrame) else list(frame.names())
    return [c for c in TURN_COLUMNS if c in names]


def _turns_text(column: str, with_roles: bool) -> pl.Expr:
    line = pl.element().struct.field("content").fill_null("")
    if with_roles:
        line = pl.element().struct.field("role").fill_null("") + ": " + line
    return pl.col(column).list.eval(line).list.join("\n").fill_null("")


def sample_text_expr(
    columns: list[str], *, with_roles: bool = True, normalize: bool = True
) -> pl.Expr:
    """One string per sample: every turn on its own line (as ``role: content`` when
    ``with_roles``), columns separated by a rule.

    Near-duplicate detection leaves roles out: the shared ``user:``/``assistant:`` shingles
    would make every pair of short conversations look alike.
    """
    parts = [_turns_text(c, with_roles) for c in columns]
    text = pl.concat_str(parts, separator="\n---\n") if len(parts) > 1 else parts[0]
    return normalize_expr(text) if normalize else text


def roles_expr(columns: list[str]) -> pl.Expr:
    """The roles of a sample's turns, column by column (part of its exact-duplicate key)."""
    return pl.struct(
        [pl.col(c).list.eval(pl.element().struct.field("role")).alias(c) for c in columns]
    )


def last_reply_expr(column: str = "messages") -> pl.Expr:
    """The normalised content of a sample's last assistant turn (null when it has none)."""
    replies = pl.col(column).list.eval(
        pl.element()
        .filter(pl.element().struct.field("role") == "assistant")
        .struct.field("content")
    )
    return normalize_expr(replies.list.last())


def has_cjk(text: str) -> bool:
    """True when ``text`` contains Chinese, Japanese or Korean characters."""
    return _CJK.search(text) is not None
