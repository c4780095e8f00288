"""The per-sample keys dedupe computes once and split reuses: no stage hashes a text twice.

For each sample dedupe computes its normalised content (turns without roles, see
``sample_text_expr``), an exact-duplicate key (the content and the roles) and a MinHash
signature. It hands the key, the signature and a fingerprint of the raw turns on to later
stages in internal columns (names starting with ``__``, which never reach an output or the
rejects file). Split recomputes a key only for a sample whose turns changed on the way (PII
scrubbing), found by comparing fingerprints.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import polars.selectors as cs

from dataprep.clean.lsh import SIGNATURE_PREFIX
from dataprep.clean.spool import Spool
from dataprep.clean.text import roles_expr, sample_text_expr, turn_columns

__all__ = ["EXACT", "FINGERPRINT", "content_reader", "drop_keys", "sample_keys"]

#: Hash of the raw turn columns when dedupe computed the keys.
FINGERPRINT = "__fingerprint"
#: Exact-duplicate key (hash of the normalised content and the roles).
EXACT = "__exact"


def _fingerprint(columns: list[str]) -> pl.Expr:
    return pl.struct(columns).hash()


def sample_keys(
    batch: pl.DataFrame, row: str, signature: str, *, keep_content: bool = False
) -> pl.DataFrame:
    """``row``, ``fingerprint``, ``content``, ``exact`` and, when carried, ``signature``
    of every sample.

    A sample whose carried fingerprint matches its turns keeps the carried key and signature
    and gets a null ``content`` (nothing left to hash) unless ``keep_content`` (for an index
    that checks texts where it keeps them); the others are computed here.
    """
    columns = turn_columns(batch)
    content = sample_text_expr(columns, with_roles=False)
    exact = pl.struct(content.alias("content"), roles_expr(columns).alias("roles")).hash()
    fingerprint = _fingerprint(columns)
    carried = {FINGERPRINT, EXACT, signature} <= set(batch.columns)
    if not carried:
        return batch.select(
            pl.col(row),
            fingerprint.alias("fingerprint"),
            content.alias("content"),
            exact.alias("exact"),
        )
    fresh = (pl.col(FINGERPRINT) == fingerprint).fill_null(False)
    known = fresh & pl.col(signature).is_not_null()
    return batch.select(
        pl.col(row),
        fingerprint.alias("fingerprint"),
        (
            content
            if keep_content
            else pl.when(known).then(pl.lit(None, dtype=pl.Utf8)).otherwise(content)
        ).alias("content"),
        pl.when(fresh).then(pl.col(EXACT)).otherwise(exact).alias("exact"),
        pl.when(known)
        .then(pl.col(signature))
        .otherwise(pl.lit(None, dtype=batch.schema[signature]))
        .alias("signature"),
    )


def drop_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without the carried keys and signatures."""
    return frame.drop(
        cs.starts_with(SIGNATURE_PREFIX), cs.by_name(FINGERPRINT, EXACT, require_all=False)
    )


def content_reader(spool: Spool, row: str) -> Callable[[np.ndarray], dict[int, str]]:
    """Reads the normalised content of the given rows back from ``spool`` (for the exact
    Jaccard check of the few candidate pairs, so no text is kept in memory meanwhile)."""

    def read(rows: np.ndarray) -> dict[int, str]:
        wanted = pl.Series(rows).implode()
        found: dict[int, str] = {}
        for batch in spool:
            hits = batch.filter(pl.col(row).is_in(wanted))
            if hits.height:
                texts = hits.select(
                    pl.col(row), sample_text_expr(turn_columns(hits), with_roles=False)
                )
                found.update(texts.iter_rows())
        return found

    return read
