"""Leakage-safe train/val/test splits.

Samples are assigned per group, never one by one: a group is the source session
(``group`` column) joined, with union-find, to every sample that is an exact or near
duplicate of one of its samples. Each group lands in one split, chosen by a keyed hash
of the group's key, so the assignment is deterministic from the seed and a group keeps
its split when data is added (unless new data links it to another group).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field, model_validator

from dataprep.clean.lsh import LshParams, start_minhash_kernel
from dataprep.clean.sample_keys import content_reader, drop_keys, sample_keys
from dataprep.clean.spool import run_spool
from dataprep.io import SPLITS
from dataprep.registry import register
from dataprep.stage import Stage

if TYPE_CHECKING:
    import numpy as np

    from dataprep.context import RunContext

__all__ = ["SPLITS", "SplitParams", "SplitStage", "split_of"]

_ROW = "__split_row"


def split_of(key: str, seed: int, ratios: tuple[float, float, float]) -> str:
    """The split of group ``key``: a keyed 64-bit hash read as a number in [0, 1)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, key=str(seed).encode()).digest()
    point = int.from_bytes(digest, "big") / 2**64
    if point < ratios[0]:
        return SPLITS[0]
    if point < ratios[0] + ratios[1]:
        return SPLITS[1]
    return SPLITS[2]


class SplitParams(LshParams):
    train: float = Field(default=0.9, ge=0, le=1, description="Share of groups in train.")
    val: float = Field(default=0.05, ge=0, le=1, description="Share of groups in val.")
    test: float = Field(default=0.05, ge=0, le=1, description="Share of groups in test.")
    group_column: str = Field(
        default="group",
        description="Column naming each sample's group (the source session); null falls back to the sample id.",
    )
    near: bool = Field(
        default=True,
        description="Join near-duplicate samples' groups (MinHash LSH) so no cluster straddles splits.",
    )
    threshold: float = Field(
        default=0.7,
        gt=0,
        le=1,
        description="Jaccard similarity at which two samples' groups are joined (below dedupe's 0.8 on purpose).",
    )
    seed: int | None = Field(
        default=None, description="Seed of the assignment hash (default: the run's --seed)."
    )

    @model_validator(mode="after")
    def _check(self) -> SplitParams:
        if abs(self.train + self.val + self.test - 1.0) > 1e-6:
            raise ValueError(
                f"train + val + test must be 1, got {self.train + self.val + self.test:g}"
            )
        return self


@register
class SplitStage(Stage):
    """Adds a ``split`` column (train/val/test) assigned per leakage-safe group."""

    name = "split"
    consumes = "samples"
    description = "Assign train/val/test per group (session + exact/near-duplicate clusters), hash-based and stable."
    Params = SplitParams
    params: SplitParams

    def setup(self, ctx: RunContext) -> None:
        ctx.shared["split_names"] = SPLITS  # the writer creates every split file
        start_minhash_kernel()

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        p = self.params
        index = p.near_duplicate_index(ctx, threshold=p.threshold, verify=True)
        keys: list[pl.DataFrame] = []
        with run_spool(ctx) as spool, contextlib.closing(index):
            for batch in batches:
                batch = batch.with_row_index(_ROW, offset=spool.rows).with_columns(
                    pl.col(_ROW).cast(pl.Int64)
                )
                found = sample_keys(
                    batch, _ROW, p.signature_column(), keep_content=index.needs_texts
                )
                keys.append(
                    batch.select(pl.col(_ROW), self._group_key(batch)).with_columns(found["exact"])
                )
                if p.near:
                    live = found.filter(
                        pl.col("signature").is_not_null() | (pl.col("content") != "")
                        if "signature" in found.columns
                        else pl.col("content") != ""
                    )
                    index.add(
                        live["content"].to_list(),
                        live[_ROW].to_numpy(),
                        live.get_column("signature", default=None),
                        wanted=False,  # split hands no signature on
                    )
                # The carried keys stop here: they are internal to dedupe and split.
                spool.add(drop_keys(batch))
            if not spool.rows:
                return
            texts_of = content_reader(spool, _ROW)
            assigned = self._assign(pl.concat(keys), index if p.near else None, texts_of, ctx)
            for batch in spool:
                yield batch.join(assigned, on=_ROW, how="left").drop(_ROW)

    def _group_key(self, batch: pl.DataFrame) -> pl.Expr:
        group = (
            pl.col(self.params.group_column)
            if self.params.group_column in batch.columns
            else pl.lit(None)
        )
        return pl.coalesce(group.cast(pl.Utf8), pl.col("id").cast(pl.Utf8)).alias("group_key")

    def _assign(
        self,
        keys: pl.DataFrame,
        index: Any,
        texts_of: Callable[[np.ndarray], dict[int, str]],
        ctx: RunContext,
    ) -> pl.DataFrame:
        import numpy as np

        from dataprep.clean.minhash import connected_components

        rows = keys[_ROW].to_numpy()
        by_group = keys.select(pl.col(_ROW).first().over("group_key")).to_series().to_numpy()
        by_exact = keys.select(pl.col(_ROW).first().over("exact")).to_series().to_numpy()
        edges = [np.stack([by_group, rows], axis=1), np.stack([by_exact, rows], axis=1)]
        near_pairs = np.zeros((0, 2), dtype=np.int64)
        if index is not None:
            labels = index.clusters(len(rows), texts_of)
            near_pairs = np.stack([labels, rows], axis=1)[labels != rows]
            edges.append(near_pairs)
        component = connected_components(len(rows), np.concatenate(edges).astype(np.int64))
        p = self.params
        seed = ctx.seed if p.seed is None else p.seed
        ratios = (p.train, p.val, p.test)
        frame = keys.with_columns(pl.Series("component", component))
        names = frame.group_by("component").agg(pl.col("group_key").min().alias("unit"))
        names = names.with_columns(
            pl.col("unit")
            .map_elements(lambda k: split_of(k, seed, ratios), return_dtype=pl.Utf8)
            .alias("split")
        )
        frame = frame.join(names, on="component", how="left")
        ctx.report[self.name] = self._summary(frame, near_pairs, index)
        return frame.select(_ROW, "split")

    def _summary(self, frame: pl.DataFrame, near_pairs: np.ndarray, index: Any) -> dict[str, Any]:
        """Split sizes and the leakage check: duplicate pairs found across splits."""
        split = frame["split"].to_numpy()
        exact_cross = (
            frame.group_by("exact")
            .agg(pl.col("split").n_unique().alias("n"))
            .filter(pl.col("n") > 1)
            .height
        )
        near_cross = (
            int((split[near_pairs[:, 0]] != split[near_pairs[:, 1]]).sum())
            if len(near_pairs)
            else 0
        )
        sizes = frame.group_by("split").agg(
            pl.len().alias("samples"), pl.col("unit").n_unique().alias("groups")
        )
        by_split = {
            row["split"]: {"samples": row["samples"], "groups": row["groups"]}
            for row in sizes.to_dicts()
        }
        return {
            "splits": {name: by_split.get(name, {"samples": 0, "groups": 0}) for name in SPLITS},
            "source_groups": frame["group_key"].n_unique(),
            "merged_groups": frame["unit"].n_unique(),
            "cross_split_exact_duplicate_groups": exact_cross,
            "cross_split_near_duplicate_pairs": near_cross,
            "near_duplicate_pairs": index.pair_counts() if index is not None else None,
            "near_duplicate_settings": index.settings() if index is not None else None,
        }
