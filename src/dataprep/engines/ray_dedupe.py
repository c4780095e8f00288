"""Near-duplicate search on Ray (``--engine ray``): dedupe's and split's MinHash LSH with
the work on the workers and only pairs on the driver.

The steps are the local ``NearDuplicateIndex``'s, with the same functions:

1. ``add`` sends each batch's samples (position, content, signature where an earlier stage
   computed it) to a task that fills in the missing signatures and the band keys
   (``fill_signatures``, ``band_keys``). The result stays in Ray's object store (which
   spills to disk); the driver keeps its reference.
2. ``clusters`` starts one task per partition of the band keys (``key % partitions``): it
   reads every batch's keys, keeps its share and finds the candidate pairs of the buckets
   that fall in it (``candidate_pairs``). A bucket lies in one partition, so the union of
   the partitions' pairs is the local engine's set.
3. The candidate pairs, grouped by the batches their two rows come from, go to tasks that
   read only those batches' signatures and texts and keep the pairs that agree enough and
   pass the exact Jaccard check (``agreeing_mask``, ``similar_mask``).
4. The driver joins the verified pairs by connected components (``connected_components``),
   so the earliest row of a cluster survives, as locally.

The driver holds the candidate and verified pairs (16 bytes each) and one reference per
batch; never the signatures, band keys or texts of the whole dataset. Every task is pure,
so Ray retries one whose worker dies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import ray

from dataprep.clean import minhash
from dataprep.clean.minhash import MinHasher, NearDuplicateSearch

if TYPE_CHECKING:
    from dataprep.clean.lsh import LshParams

__all__ = ["RayNearDuplicateIndex", "ray_index_factory"]

#: Retries of a task whose worker died.
MAX_RETRIES = 3
#: Batches one checking task reads at most, and candidate pairs it checks at most: its
#: memory is bounded by these, whatever the size of the input.
_CHECK_BATCHES = 8
_CHECK_PAIRS = 50_000
#: Pairs whose texts are laid out at once in the exact check (as locally).
_TEXT_PAIRS = 5_000


@ray.remote(max_retries=MAX_RETRIES)
def _prepare(
    hasher: MinHasher, bands: int, rows: int, table: Any, keep_texts: bool
) -> dict[str, Any]:
    """One batch's positions, signatures, band keys and (for the exact check) texts."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    texts = frame["content"].to_list()
    known = frame.get_column("signature", default=None)
    signatures = minhash.fill_signatures(hasher, texts, known)
    return {
        "position": frame["position"].to_numpy().astype(np.int64),
        "signature": signatures,
        "keys": minhash.band_keys(signatures, bands, rows),
        "content": frame["content"].to_arrow() if keep_texts else None,
    }


@ray.remote(max_retries=MAX_RETRIES)
def _signatures_of(prepared: dict[str, Any]) -> np.ndarray:
    signature: np.ndarray = prepared["signature"]
    return signature


@ray.remote(max_retries=MAX_RETRIES)
def _partition_pairs(batches: list[Any], part: int, parts: int) -> np.ndarray:
    """Candidate pairs of the buckets whose key falls in partition ``part``.

    ``batches`` holds references (inside a list, so Ray does not fetch them all at once):
    they are read one at a time, and only this partition's keys are kept.
    """
    keys: list[list[np.ndarray]] = []
    positions: list[list[np.ndarray]] = []
    for ref in batches:
        prepared = ray.get(ref)
        band_keys, position = prepared["keys"], prepared["position"]
        if not keys:
            keys = [[] for _ in range(band_keys.shape[1])]
            positions = [[] for _ in range(band_keys.shape[1])]
        mine = band_keys % np.uint64(parts) == np.uint64(part)
        for band in range(band_keys.shape[1]):
            keys[band].append(band_keys[mine[:, band], band])
            positions[band].append(position[mine[:, band]])
        del prepared
    found = [
        minhash.candidate_pairs(np.concatenate(band)[:, None], np.concatenate(where))
        for band, where in zip(keys, positions, strict=True)
    ]
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if pairs.size else pairs.reshape(0, 2)


@ray.remote(max_retries=MAX_RETRIES)
def _check_pairs(
    pairs: np.ndarray,
    batches: list[Any],
    hasher: MinHasher,
    floor: float,
    threshold: float | None,
) -> tuple[int, np.ndarray]:
    """How many ``pairs`` agree enough, and those that also pass the exact Jaccard check
    (all that agree when ``threshold`` is None)."""
    tables = [ray.get(ref) for ref in batches]
    rows = np.concatenate([table["position"] for table in tables])
    signatures = np.concatenate([table["signature"] for table in tables])
    pairs = pairs[minhash.agreeing_mask(pairs, rows, signatures, floor)]
    agreeing = len(pairs)
    if threshold is None or not agreeing:
        return agreeing, pairs
    import pyarrow as pa

    content = pa.chunked_array([table["content"] for table in tables])
    keep = []
    for start in range(0, len(pairs), _TEXT_PAIRS):
        chunk = pairs[start : start + _TEXT_PAIRS]
        wanted = np.unique(chunk)
        at = np.searchsorted(rows, wanted)
        texts = content.take(pa.array(at)).to_pylist()
        keep.append(minhash.similar_mask(hasher, chunk, wanted, texts, threshold))
    return agreeing, pairs[np.concatenate(keep)]


class RayNearDuplicateIndex(NearDuplicateSearch):
    """The local index's search with its work in Ray tasks (see the module docstring).

    ``partitions``: how many tasks share the band keys (each holds about 1/partitions of
    them); ``get`` fetches results, turning Ray's failures into the engine's errors.
    """

    needs_texts = True

    def __init__(
        self,
        *,
        partitions: int = 4,
        get: Callable[[Any], Any] = ray.get,
        **settings: Any,
    ) -> None:
        """``settings``: ``NearDuplicateSearch``'s (num_perm, bands, rows, ngram, threshold,
        verify, seed)."""
        super().__init__(**settings)
        self.partitions = partitions
        self._get = get
        self._batches: list[Any] = []
        #: The first and last position of each batch, to find a pair's batches.
        self._first: list[int] = []
        self._last: list[int] = []

    def add(
        self,
        texts: Sequence[str],
        positions: np.ndarray,
        known: pl.Series | None = None,
        *,
        wanted: bool = True,
    ) -> np.ndarray:
        if not len(positions):
            return np.zeros((0, self.hasher.num_perm), dtype=np.uint32)
        positions = positions.astype(np.int64)
        if self._last and positions[0] <= self._last[-1]:
            raise ValueError("positions must increase from batch to batch")
        columns: dict[str, Any] = {
            "position": positions,
            "content": pl.Series("content", texts, dtype=pl.Utf8),
        }
        if known is not None:
            columns["signature"] = known
        table = pl.DataFrame(columns).to_arrow()
        ref = _prepare.remote(self.hasher, self.bands, self.rows, table, self.verify)
        self._batches.append(ref)
        self._first.append(int(positions[0]))
        self._last.append(int(positions[-1]))
        if known is not None and known.null_count() == 0:
            signatures: np.ndarray = known.to_numpy().astype(np.uint32, copy=False)
            return signatures
        if not wanted:
            return np.zeros((0, self.hasher.num_perm), dtype=np.uint32)
        # Some signature was computed on the worker: the caller hands it on, so fetch it
        # (one batch's worth).
        fetched: np.ndarray = self._get(_signatures_of.remote(ref))
        return fetched

    def clusters(
        self, size: int, texts_of: Callable[[np.ndarray], dict[int, str]] | None = None
    ) -> np.ndarray:
        try:
            pairs = self._candidates()
            self.candidates = self.agreeing = self.verified = len(pairs)
            if len(pairs):
                pairs = self._checked(pairs)
        finally:
            self.close()
        return minhash.connected_components(size, pairs)

    def _candidates(self) -> np.ndarray:
        if not self._batches:
            return np.zeros((0, 2), dtype=np.int64)
        found = self._get(
            [
                _partition_pairs.remote(list(self._batches), part, self.partitions)
                for part in range(self.partitions)
            ]
        )
        pairs = np.concatenate(found)
        return np.unique(pairs, axis=0) if pairs.size else pairs.reshape(0, 2)

    def _checked(self, pairs: np.ndarray) -> np.ndarray:
        """The candidate pairs that agree enough and pass the exact check, checked in tasks
        that each read a few batches."""
        threshold = self.threshold if self.verify else None
        pairs, groups = self._grouped(pairs)
        refs = [
            _check_pairs.remote(
                pairs[start:stop],
                [self._batches[number] for number in batches],
                self.hasher,
                self.floor,
                threshold,
            )
            for start, stop, batches in groups
        ]
        results = self._get(refs)
        self.agreeing = sum(agreeing for agreeing, _ in results)
        checked = np.concatenate([kept for _, kept in results])
        self.verified = len(checked)
        return checked

    def _grouped(self, pairs: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, list[int]]]]:
        """``pairs`` sorted by the batches of their rows, cut into slices that each read at
        most ``_CHECK_BATCHES`` batches and hold about ``_CHECK_PAIRS`` pairs (more only
        when two batches alone share more), with the batches each slice reads."""
        first = np.asarray(self._first)
        batch_a = np.searchsorted(first, pairs[:, 0], side="right") - 1
        batch_b = np.searchsorted(first, pairs[:, 1], side="right") - 1
        order = np.lexsort((pairs[:, 1], pairs[:, 0], batch_b, batch_a))
        pairs, batch_a, batch_b = pairs[order], batch_a[order], batch_b[order]
        # One step per run of pairs between the same two batches.
        changes = (batch_a[1:] != batch_a[:-1]) | (batch_b[1:] != batch_b[:-1])
        edges = np.flatnonzero(np.r_[True, changes]).tolist()
        groups: list[tuple[int, int, list[int]]] = []
        start, reads = 0, set[int]()
        for at, stop in zip(edges, [*edges[1:], len(pairs)], strict=True):
            both = {int(batch_a[at]), int(batch_b[at])}
            if at > start and (len(reads | both) > _CHECK_BATCHES or stop - start > _CHECK_PAIRS):
                groups.append((start, at, sorted(reads)))
                start, reads = at, set()
            reads |= both
        groups.append((start, len(pairs), sorted(reads)))
        return pairs, groups

    def close(self) -> None:
        """Drop the references: Ray frees the batches' tables."""
        self._batches.clear()


def ray_index_factory(
    partitions: int, get: Callable[[Any], Any] = ray.get
) -> Callable[..., RayNearDuplicateIndex]:
    """What the Ray engine puts in ``RunContext.near_duplicate_index``."""

    def make(
        params: LshParams, *, threshold: float, verify: bool, seed: int = 1
    ) -> RayNearDuplicateIndex:
        return RayNearDuplicateIndex(
            **params.lsh_settings(),
            threshold=threshold,
            verify=verify,
            seed=seed,
            partitions=partitions,
            get=get,
        )

    return make
