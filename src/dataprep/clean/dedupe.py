"""Exact and near-duplicate removal at the sample level, plus a cap on repeated replies.

Every sample is compared as a whole conversation, never message by message: chat
messages are mostly too short for MinHash, and what a trainer sees twice is a sample.
The earliest sample in input order survives; every later copy becomes a reject whose
``duplicate_of`` column names the id of the sample it duplicated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field

from dataprep.clean.lsh import LshParams, start_minhash_kernel
from dataprep.clean.sample_keys import EXACT, FINGERPRINT, content_reader, sample_keys
from dataprep.clean.spool import Spool, run_spool
from dataprep.clean.text import last_reply_expr
from dataprep.registry import register
from dataprep.stage import Stage

if TYPE_CHECKING:
    import numpy as np

    from dataprep.clean.minhash import NearDuplicateSearch
    from dataprep.context import RunContext

__all__ = ["DedupeParams", "DedupeStage"]

_ROW = "__dedupe_row"


class DedupeParams(LshParams):
    exact: bool = Field(
        default=True,
        description="Drop samples whose normalised text (NFKC, case, whitespace) equals an earlier one.",
    )
    near: bool = Field(
        default=True, description="Drop near duplicates found with MinHash LSH over whole samples."
    )
    threshold: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Jaccard similarity of character shingles at which two samples are near duplicates.",
    )
    verify: bool = Field(
        default=True,
        description="Check every LSH candidate pair with its exact Jaccard similarity.",
    )
    max_reply_repeats: int = Field(
        default=10,
        ge=0,
        description="Keep at most this many samples whose last assistant reply is the same text; 0 means no cap.",
    )
    seed: int = Field(
        default=1, description="MinHash permutation seed (datasketch's default is 1)."
    )


@register
class DedupeStage(Stage):
    """Exact duplicates, then near duplicates, then the repeated-reply cap."""

    name = "dedupe"
    consumes = "samples"
    description = "Drop exact and near-duplicate samples (MinHash LSH) and cap repeated replies."
    Params = DedupeParams
    params: DedupeParams

    def setup(self, ctx: RunContext) -> None:
        start_minhash_kernel()

    def carried_keys(self, batch: pl.DataFrame) -> pl.DataFrame:
        """``batch`` with the keys and MinHash signatures ``process`` would compute, in the
        columns it takes as carried (``sample_keys``), so that an engine can compute them
        on another worker (``--engine ray``) and ``process`` hashes no text again."""
        from dataprep.clean.minhash import MinHasher, signatures_series

        p = self.params
        column = p.signature_column(p.seed)
        if {FINGERPRINT, EXACT, column} <= set(batch.columns) or not batch.height:
            return batch
        batch = batch.drop(column, strict=False).with_row_index(_ROW)
        found = sample_keys(batch, _ROW, column)
        live = found.filter((pl.col("content") != "").fill_null(False))
        hasher = MinHasher(num_perm=p.num_perm, ngram=p.ngram, seed=p.seed)
        signatures = hasher.signatures(live["content"].to_list())
        carried = pl.DataFrame({_ROW: live[_ROW], column: signatures_series(signatures, column)})
        batch = batch.with_columns(
            found["fingerprint"].alias(FINGERPRINT), found["exact"].alias(EXACT)
        )
        return batch.join(carried, on=_ROW, how="left", maintain_order="left").drop(_ROW)

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        p = self.params
        index = p.near_duplicate_index(ctx, threshold=p.threshold, verify=p.verify, seed=p.seed)
        ids: list[pl.Series] = []
        keys: list[pl.DataFrame] = []
        with run_spool(ctx) as spool, contextlib.closing(index):
            for batch in batches:
                batch = batch.with_row_index(_ROW, offset=spool.rows).with_columns(
                    pl.col(_ROW).cast(pl.Int64)
                )
                found = sample_keys(
                    batch, _ROW, p.signature_column(p.seed), keep_content=index.needs_texts
                )
                batch_keys = found.select(
                    pl.col(_ROW),
                    pl.col("exact"),
                    (pl.col("content") == "").fill_null(False).alias("empty"),
                    batch.select(last_reply_expr().hash()).to_series().alias("reply"),
                )
                batch = self._carry(batch, found, batch_keys["empty"], index if p.near else None)
                keys.append(batch_keys)
                ids.append(batch["id"])
                spool.add(batch)
                ctx.progress.advance(self.name, batch.height)
            if not spool.rows:
                return
            all_keys = pl.concat(keys)
            verdicts = self._verdicts(
                all_keys,
                index if p.near else None,
                pl.concat(ids),
                content_reader(spool, _ROW),
                ctx,
            )
            yield from self._emit(spool, verdicts, ctx)

    def _carry(
        self,
        batch: pl.DataFrame,
        found: pl.DataFrame,
        empty: pl.Series,
        index: NearDuplicateSearch | None,
    ) -> pl.DataFrame:
        """Index the non-empty samples and hand their keys and signatures on to split."""
        batch = batch.with_columns(
            found["fingerprint"].alias(FINGERPRINT), found["exact"].alias(EXACT)
        )
        if index is None:
            return batch
        from dataprep.clean.minhash import signatures_series

        live = found.filter(~empty)
        signatures = index.add(
            live["content"].to_list(),
            live[_ROW].to_numpy(),
            live.get_column("signature", default=None),
        )
        column = self.params.signature_column(self.params.seed)
        carried = pl.DataFrame({_ROW: live[_ROW], column: signatures_series(signatures, column)})
        return batch.drop(column, strict=False).join(
            carried, on=_ROW, how="left", maintain_order="left"
        )

    def _verdicts(
        self,
        keys: pl.DataFrame,
        index: NearDuplicateSearch | None,
        ids: pl.Series,
        texts_of: Callable[[np.ndarray], dict[int, str]],
        ctx: RunContext,
    ) -> pl.DataFrame:
        """One row per rejected sample: its row, reason and the row it duplicated."""
        import numpy as np

        p = self.params
        rows = keys[_ROW].to_numpy().astype(np.int64)
        status = np.zeros(len(rows), dtype=np.int8)  # 0 kept, 1 exact, 2 near, 3 reply, 4 empty
        origin = rows.copy()
        status[keys["empty"].to_numpy()] = 4
        if p.exact:
            first = keys.select(pl.col(_ROW).first().over("exact")).to_series().to_numpy()
            mask = (status == 0) & (first != rows)
            status[mask], origin[mask] = 1, first[mask]
        if index is not None:
            roots = index.clusters(len(rows), texts_of)
            # An exact copy of a near duplicate points at the cluster's root.
            roots = roots[origin]
            mask = (status == 0) & (roots != rows)
            status[mask], origin[mask] = 2, roots[mask]
            # An exact copy of a sample that was itself a near duplicate names the survivor.
            exact = status == 1
            origin[exact] = origin[origin[exact]]
        if p.max_reply_repeats:
            status, origin = self._cap_replies(keys, status, origin)
            # A copy of a sample the cap dropped names the sample the cap kept.
            chained = (status != 0) & (status[origin] != 0) & (origin != rows)
            origin[chained] = origin[origin[chained]]
        details: dict[str, Any] = {
            "exact_duplicates": int((status == 1).sum()),
            "near_duplicates": int((status == 2).sum()),
            "repeated_replies": int((status == 3).sum()),
            "empty": int((status == 4).sum()),
            "kept": int((status == 0).sum()),
        }
        if index is not None:
            details.update(**index.pair_counts(), settings=index.settings())
        ctx.report[self.name] = details
        reasons = np.array(
            ["", "exact_duplicate", "near_duplicate", "repeated_reply", "empty_text"]
        )
        dropped = status != 0
        return pl.DataFrame(
            {
                _ROW: rows[dropped],
                "reason": reasons[status[dropped]],
                "duplicate_of": ids.gather(origin[dropped]),
            }
        ).with_columns(
            pl.when(pl.col("reason") == "empty_text")
            .then(None)
            .otherwise(pl.col("duplicate_of"))
            .alias("duplicate_of")
        )

    def _cap_replies(
        self, keys: pl.DataFrame, status: np.ndarray, origin: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reject samples whose last reply was already kept ``max_reply_repeats`` times."""

        kept = keys.with_columns(pl.Series("status", status)).filter(
            (pl.col("status") == 0) & pl.col("reply").is_not_null()
        )
        ranked = kept.select(
            pl.col(_ROW),
            pl.col(_ROW).first().over("reply").alias("first"),
            pl.col(_ROW).cum_count().over("reply").alias("seen"),
        ).filter(pl.col("seen") > self.params.max_reply_repeats)
        over = ranked[_ROW].to_numpy()
        status[over], origin[over] = 3, ranked["first"].to_numpy()
        return status, origin

    def _emit(
        self, spool: Spool, verdicts: pl.DataFrame, ctx: RunContext
    ) -> Iterator[pl.DataFrame]:
        for batch in spool:
            dropped = batch.join(verdicts, on=_ROW, how="inner")
            if dropped.height:
                ctx.reject(self.name, dropped.drop(_ROW))
            kept = batch.join(verdicts, on=_ROW, how="anti").drop(_ROW)
            if kept.height:
                yield kept
