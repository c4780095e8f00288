"""MinHash LSH parameters shared by the stages that look for near duplicates (dedupe, split)."""

from __future__ import annotations

import functools
import importlib.util
import threading
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from dataprep.deps import require
from dataprep.stage import StageParams

if TYPE_CHECKING:
    from dataprep.clean.minhash import NearDuplicateSearch
    from dataprep.context import RunContext

__all__ = ["SIGNATURE_PREFIX", "LshParams", "start_minhash_kernel"]

#: Columns holding a sample's MinHash signature start with this; they are internal and
#: never reach an output (split drops them, rejects leave them out).
SIGNATURE_PREFIX = "__minhash"


class LshParams(StageParams):
    """Signature size, banding and shingle length; each stage adds its own threshold."""

    num_perm: int = Field(default=120, ge=8, le=1024, description="MinHash permutations.")
    bands: int = Field(
        default=20, ge=1, description="LSH bands; bands x rows must not exceed num_perm."
    )
    rows: int = Field(default=6, ge=1, description="MinHash values per band.")
    ngram: int = Field(
        default=5,
        ge=1,
        le=64,
        description="Characters per shingle (texts shorter than this are one shingle).",
    )

    @model_validator(mode="after")
    def _bands_fit(self) -> LshParams:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}"
            )
        return self

    def signature_column(self, seed: int = 1) -> str:
        """The column that carries signatures of these settings from dedupe to split, so
        each sample is hashed once per run; the name holds every setting that changes them."""
        return f"{SIGNATURE_PREFIX}_{self.num_perm}x{self.ngram}_seed{seed}"

    def lsh_settings(self) -> dict[str, int]:
        """The MinHash and LSH settings every near-duplicate index takes from these params."""
        return {
            "num_perm": self.num_perm,
            "bands": self.bands,
            "rows": self.rows,
            "ngram": self.ngram,
        }

    def near_duplicate_index(
        self, ctx: RunContext, *, threshold: float, verify: bool, seed: int = 1
    ) -> NearDuplicateSearch:
        """The run's index with these parameters: the engine's (``ctx.near_duplicate_index``)
        or one in this process that spools signatures beside the output (imports numpy, so
        call it inside a stage's run)."""
        if ctx.near_duplicate_index is not None:
            index: NearDuplicateSearch = ctx.near_duplicate_index(
                self, threshold=threshold, verify=verify, seed=seed
            )
            return index
        from dataprep.clean.minhash import NearDuplicateIndex
        from dataprep.clean.spool import run_spool

        return NearDuplicateIndex(
            **self.lsh_settings(),
            threshold=threshold,
            verify=verify,
            seed=seed,
            spool=run_spool(ctx),
        )


def start_minhash_kernel() -> None:
    """Check that the compiled MinHash kernel's dependencies are installed, then load it in
    the background while the stages before dedupe read the input (importing numba and
    loading the cached machine code take about a second)."""
    require("numpy", extra="clean")
    if importlib.util.find_spec("numba") is None:
        require("numba", extra="clean")  # raises the error naming the pip install line
    _load_kernel_in_background()


@functools.cache
def _load_kernel_in_background() -> None:
    def load() -> None:
        try:
            import numpy as np

            from dataprep.clean.minhash import MinHasher

            hasher = MinHasher(num_perm=8, ngram=2)
            hasher.signatures(["warm up"])
            hasher.pair_jaccard(["warm", "up"], np.zeros(1, np.int64), np.ones(1, np.int64))
        except Exception:
            return

    threading.Thread(target=load, name="dataprep-minhash-load", daemon=True).start()
