"""Vectorised MinHash signatures and LSH banding, compatible with datasketch.

Signatures follow datasketch's default ``affine32`` scheme bit for bit: the same
permutations (drawn from ``numpy.random.RandomState(seed)``), the same MurmurHash3
finaliser pre-mix and ``a * h + b`` in uint32. Only the shingle hash differs from
datasketch's default SHA-1: a polynomial hash of the shingle's code points that numpy
computes for every shingle of many texts at once. ``shingle_hash(ngram)`` returns the same
function for one string, so ``datasketch.MinHash(hashfunc=shingle_hash(n))`` gives identical
hash values (tests/clean/test_minhash.py proves it).

Shingles are character n-grams (default 5), so Chinese and Japanese text works without a
tokenizer. A text shorter than one shingle is hashed whole, so it still gets a real
signature instead of the empty one that makes all short texts "duplicates".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from dataprep.clean.spool import Spool

__all__ = [
    "MinHasher",
    "NearDuplicateIndex",
    "NearDuplicateSearch",
    "agreeing_mask",
    "agreement_floor",
    "band_keys",
    "candidate_pairs",
    "connected_components",
    "exact_jaccard",
    "fill_signatures",
    "lsh_probability",
    "shingle_hash",
    "signature_agreement",
    "signatures_series",
    "similar_mask",
]

_U32 = np.uint32
_U64 = np.uint64
# Multiplier of the polynomial shingle hash (a 64-bit odd constant from splitmix64).
_POLY = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
# Characters hashed at once (see MinHasher.signatures).
_CHUNK_CHARS = 1 << 22


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def shingle_hash(ngram: int) -> Callable[[str], int]:
    """The 32-bit hash of one shingle of at most ``ngram`` characters (for datasketch)."""
    powers = [pow(_POLY, ngram - 1 - j, 1 << 64) for j in range(ngram)]

    def hash_one(shingle: str) -> int:
        total = 0
        for j, char in enumerate(shingle):
            total = (total + ord(char) * powers[j]) & _MASK64
        return _fmix64_int(total) & 0xFFFFFFFF

    return hash_one


def shingles(text: str, ngram: int) -> list[str]:
    """The character n-grams of ``text``; a shorter text is one shingle."""
    if len(text) <= ngram:
        return [text]
    return [text[i : i + ngram] for i in range(len(text) - ngram + 1)]


class MinHasher:
    """Computes MinHash signatures of many texts at once with numpy."""

    def __init__(self, num_perm: int = 128, ngram: int = 5, seed: int = 1) -> None:
        if num_perm < 1 or ngram < 1:
            raise ValueError("num_perm and ngram must be positive")
        self.num_perm = num_perm
        self.ngram = ngram
        self.seed = seed
        # The same draws as datasketch.MinHash._init_permutations for scheme affine32.
        gen = np.random.RandomState(seed)
        self.a = gen.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=_U32)
        self.powers = np.array(
            [pow(_POLY, ngram - 1 - j, 1 << 64) for j in range(ngram)], dtype=_U64
        )

    def layout(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Code points of ``texts`` end to end, each followed by ``ngram`` zeros (so a short
        text's one shingle sums exactly its own characters, like ``shingle_hash``), with
        each text's start and length."""
        k = self.ngram
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        gap = "\x00" * k
        points = np.frombuffer((gap.join(texts) + gap).encode("utf-32-le"), dtype=_U32)
        starts = np.concatenate([[0], np.cumsum(lengths + k)[:-1]]).astype(np.int64)
        return points, starts, lengths

    def pair_jaccard(
        self, texts: Sequence[str], first: np.ndarray, second: np.ndarray
    ) -> np.ndarray:
        """Exact Jaccard similarity of the shingle sets of ``texts[first[i]]`` and
        ``texts[second[i]]`` (sets of 64-bit shingle hashes: a collision is ~1e-13 per pair
        of shingles)."""
        from dataprep.clean.minhash_kernel import pair_jaccard

        return pair_jaccard(
            *self.layout(texts), self.powers, first.astype(np.int64), second.astype(np.int64)
        )

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(len(texts), num_perm)`` uint32 matrix of MinHash values.

        The compiled kernel (``minhash_kernel``) hashes runs of about 4 million characters,
        each cut into one share per core; only a run's code points (4 bytes a character)
        live at once, so memory stays flat on long inputs.
        """
        from dataprep.clean.minhash_kernel import shared_pool, signature_rows

        pool, parts = shared_pool()
        out = [
            signature_rows(
                *self.layout(texts[first:last]), self.powers, self.a, self.b, pool, parts
            )
            for first, last in _runs(texts, _CHUNK_CHARS)
        ]
        return out[0] if len(out) == 1 else np.concatenate(out)


def _runs(texts: Sequence[str], budget: int) -> list[tuple[int, int]]:
    """Consecutive index ranges of ``texts`` holding about ``budget`` characters each."""
    runs, first, size = [], 0, 0
    for index, text in enumerate(texts):
        size += len(text)
        if size >= budget:
            runs.append((first, index + 1))
            first, size = index + 1, 0
    if first < len(texts) or not runs:
        runs.append((first, len(texts)))
    return runs


def lsh_probability(similarity: float, bands: int, rows: int) -> float:
    """Chance that two texts of Jaccard ``similarity`` share at least one band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (text, band): texts sharing a key are candidate duplicates."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {signatures.shape[1]}")
    keys = np.zeros((signatures.shape[0], bands), dtype=_U64)
    for band in range(bands):
        key = np.full(signatures.shape[0], band + 1, dtype=_U64)
        for row in range(rows):
            key = _fmix64(key * _U64(_POLY) + signatures[:, band * rows + row].astype(_U64))
        keys[:, band] = key
    return keys


def candidate_pairs(keys: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
    """``(n, 2)`` pairs ``(first, other)``: each text linked to the earliest text of its bucket.

    ``index`` gives each row's global position (default: its row number); linking every
    member to the earliest one is enough for connected components.
    """
    n = keys.shape[0]
    if n == 0:  # a partition of the distributed search may hold no key of a band
        return np.zeros((0, 2), dtype=np.int64)
    index = np.arange(n, dtype=np.int64) if index is None else index.astype(np.int64)
    found = []
    # Rows usually arrive in position order; then a stable sort on the key alone is enough.
    in_order = bool(np.all(index[1:] >= index[:-1]))
    for band in range(keys.shape[1]):
        order = (
            np.argsort(keys[:, band], kind="stable")
            if in_order
            else np.lexsort((index, keys[:, band]))
        )
        sorted_keys = keys[order, band]
        new_bucket = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        bucket_first = index[order][np.maximum.accumulate(np.where(new_bucket, np.arange(n), 0))]
        members = index[order]
        mask = ~new_bucket
        found.append(np.stack([bucket_first[mask], members[mask]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if pairs.size else pairs.reshape(0, 2)


def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes: the smallest node index of its component."""
    labels = np.arange(n, dtype=np.int64)
    if pairs.size == 0:
        return labels
    left, right = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        # Pointer jumping: follow labels until each points at a root.
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(before, labels):
            return labels


def signatures_series(signatures: np.ndarray, name: str = "signature") -> pl.Series:
    """A signature matrix as a fixed-size ``Array(UInt32, num_perm)`` column."""
    return pl.Series(name, signatures, dtype=pl.Array(pl.UInt32, signatures.shape[1]))


def exact_jaccard(first: str, second: str, ngram: int) -> float:
    """Exact Jaccard similarity of two texts' shingle sets."""
    a, b = set(shingles(first, ngram)), set(shingles(second, ngram))
    union = len(a | b)
    return len(a & b) / union if union else 1.0


# How far below the threshold a candidate's signature agreement may fall and still get the
# exact check: 4 standard deviations of the agreement of num_perm values at the threshold, so
# a pair truly at the threshold is dropped unchecked with probability about 3e-5.
_AGREEMENT_SIGMAS = 4.0
# Candidate pairs compared per numpy step (two num_perm-wide rows each).
_PAIR_CHUNK = 1 << 15
# Pairs whose rows are read back from disk at once: signatures (at most 2 x 50,000 rows,
# 48 MB at 120 permutations) and texts (at most 10,000 samples), so memory stays bounded
# on exports where most samples are candidates.
_SIGNATURE_PAIRS = 50_000
_TEXT_PAIRS = 5_000


def _chunks(pairs: np.ndarray, size: int) -> list[np.ndarray]:
    return [pairs[start : start + size] for start in range(0, len(pairs), size)]


def agreement_floor(threshold: float, num_perm: int, verify: bool) -> float:
    """The signature agreement below which a candidate pair is dropped without an exact check.

    Without the exact check the agreement is the Jaccard estimate, so the floor is the
    threshold itself (datasketch's LSH returns every candidate, precision 0.4 on our
    planted set; the estimate lifts it to about 0.95).
    """
    if not verify:
        return threshold
    sigma = math.sqrt(threshold * (1 - threshold) / num_perm)
    return max(0.0, threshold - _AGREEMENT_SIGMAS * sigma)


def signature_agreement(
    signatures: np.ndarray, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """Share of equal MinHash values of each row pair (the Jaccard estimate)."""
    out = np.empty(len(first), dtype=np.float64)
    for start in range(0, len(first), _PAIR_CHUNK):
        a = signatures[first[start : start + _PAIR_CHUNK]]
        b = signatures[second[start : start + _PAIR_CHUNK]]
        out[start : start + _PAIR_CHUNK] = (a == b).mean(axis=1)
    return out


def fill_signatures(hasher: MinHasher, texts: Sequence[str], known: pl.Series | None) -> np.ndarray:
    """Signatures of ``texts``, taken from ``known`` (an Array column, null where missing)
    where an earlier stage computed them: only the missing ones are hashed (``texts`` may
    hold None where the signature is known)."""
    if known is None or known.null_count() == len(known):
        return hasher.signatures(texts)
    if known.null_count() == 0:
        return known.to_numpy().astype(_U32, copy=False)
    missing = known.is_null().to_numpy()
    signatures = np.empty((len(known), hasher.num_perm), dtype=_U32)
    signatures[~missing] = known.drop_nulls().to_numpy()
    signatures[missing] = hasher.signatures(
        [text for text, absent in zip(texts, missing, strict=True) if absent]
    )
    return signatures


def agreeing_mask(
    pairs: np.ndarray, rows: np.ndarray, signatures: np.ndarray, floor: float
) -> np.ndarray:
    """Which ``pairs`` of global rows have signatures agreeing on at least ``floor`` of their
    values; ``signatures[i]`` belongs to row ``rows[i]`` (``rows`` sorted)."""
    first = np.searchsorted(rows, pairs[:, 0])
    second = np.searchsorted(rows, pairs[:, 1])
    # A float tolerance: the agreement is a count over num_perm.
    return signature_agreement(signatures, first, second) >= floor - 1e-9


def similar_mask(
    hasher: MinHasher,
    pairs: np.ndarray,
    rows: np.ndarray,
    texts: Sequence[str],
    threshold: float,
) -> np.ndarray:
    """Which ``pairs`` reach ``threshold`` in exact Jaccard similarity of 64-bit shingle hash
    sets (a collision is ~1e-13 per pair of shingles); ``texts[i]`` is row ``rows[i]``'s
    content (``rows`` sorted, holding every row of ``pairs``)."""
    first = np.searchsorted(rows, pairs[:, 0])
    second = np.searchsorted(rows, pairs[:, 1])
    return hasher.pair_jaccard(texts, first, second) >= threshold


class NearDuplicateSearch:
    """What every near-duplicate index shares: the MinHash and LSH settings, the thresholds,
    the pair counts and the report section. ``NearDuplicateIndex`` runs in this process;
    ``--engine ray`` has a distributed one (``dataprep.engines.ray_dedupe``)."""

    #: Whether ``add`` needs every sample's text, also where its signature is known (an
    #: index that does the exact check where the texts are, not through ``texts_of``).
    needs_texts = False

    def __init__(
        self,
        *,
        num_perm: int,
        bands: int,
        rows: int,
        ngram: int,
        threshold: float,
        verify: bool,
        seed: int = 1,
    ) -> None:
        self.hasher = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed)
        self.bands, self.rows = bands, rows
        self.threshold = threshold
        self.verify = verify
        self.candidates = 0
        self.agreeing = 0
        self.verified = 0

    @property
    def floor(self) -> float:
        """The signature agreement a candidate pair needs (see ``agreement_floor``)."""
        return agreement_floor(self.threshold, self.hasher.num_perm, self.verify)

    def add(
        self,
        texts: Sequence[str],
        positions: np.ndarray,
        known: pl.Series | None = None,
        *,
        wanted: bool = True,
    ) -> np.ndarray:
        """Index the samples at global row ``positions`` (in increasing order from call to
        call); returns their signatures (an index that computes them elsewhere may return
        none when not ``wanted``). ``known`` holds signatures an earlier stage computed (an
        Array column, null where missing): only the missing ones are hashed from ``texts``
        (which may hold None where the signature is known)."""
        raise NotImplementedError

    def clusters(
        self, size: int, texts_of: Callable[[np.ndarray], dict[int, str]] | None = None
    ) -> np.ndarray:
        """For each of ``size`` global rows, the earliest row of its cluster (itself if none).

        ``texts_of`` maps rows to their texts for the exact check (an index that keeps the
        texts itself ignores it).
        """
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the index holds (also done by ``clusters``)."""

    def pair_counts(self) -> dict[str, int]:
        """Pairs at each step: LSH candidates, signatures agreeing, exact check passed."""
        return {
            "candidate_pairs": self.candidates,
            "agreeing_pairs": self.agreeing,
            "verified_pairs": self.verified,
        }

    def settings(self) -> dict[str, Any]:
        """The LSH settings and their computed candidate probabilities, for the report."""
        return {
            "num_perm": self.hasher.num_perm,
            "bands": self.bands,
            "rows": self.rows,
            "ngram": self.hasher.ngram,
            "threshold": self.threshold,
            "implied_threshold": round((1 / self.bands) ** (1 / self.rows), 3),
            "p_candidate_at_threshold": round(
                lsh_probability(self.threshold, self.bands, self.rows), 4
            ),
            "exact_jaccard_check": self.verify,
            "signature_agreement_floor": round(self.floor, 4),
        }


class NearDuplicateIndex(NearDuplicateSearch):
    """Collects MinHash band keys batch by batch, then finds near-duplicate clusters.

    Only the band keys (``bands`` x 8 bytes per text) stay in memory; signatures wait in a
    disk spool, from which only the candidates' rows are read back. A candidate pair whose
    signatures agree on too few values to reach the threshold is dropped there (see
    ``agreement_floor``); with ``verify`` the rest get the exact Jaccard check, on texts the
    caller reads back (``clusters(texts_of=...)``), so no text waits in memory.
    """

    def __init__(
        self,
        *,
        num_perm: int,
        bands: int,
        rows: int,
        ngram: int,
        threshold: float,
        verify: bool,
        seed: int = 1,
        spool: Spool | None = None,
    ) -> None:
        super().__init__(
            num_perm=num_perm,
            bands=bands,
            rows=rows,
            ngram=ngram,
            threshold=threshold,
            verify=verify,
            seed=seed,
        )
        self._keys: list[np.ndarray] = []
        self._positions: list[np.ndarray] = []
        self._spool = spool if spool is not None else Spool()

    def add(
        self,
        texts: Sequence[str],
        positions: np.ndarray,
        known: pl.Series | None = None,
        *,
        wanted: bool = True,
    ) -> np.ndarray:
        signatures = fill_signatures(self.hasher, texts, known)
        if not len(signatures):
            return signatures
        self._keys.append(band_keys(signatures, self.bands, self.rows))
        self._positions.append(positions.astype(np.int64))
        self._spool.add(
            pl.DataFrame(
                {"position": positions.astype(np.int64), "signature": signatures_series(signatures)}
            )
        )
        return signatures

    def clusters(
        self, size: int, texts_of: Callable[[np.ndarray], dict[int, str]] | None = None
    ) -> np.ndarray:
        if not self._keys:
            self.close()
            return np.arange(size, dtype=np.int64)
        pairs = candidate_pairs(np.concatenate(self._keys), np.concatenate(self._positions))
        self.candidates = self.agreeing = self.verified = len(pairs)
        if len(pairs):
            pairs = self._agreeing(pairs)
        if self.verify and len(pairs):
            if texts_of is None:
                raise ValueError("the exact Jaccard check needs texts_of")
            pairs = self._verified(pairs, texts_of)
        self.close()
        return connected_components(size, pairs)

    def _agreeing(self, pairs: np.ndarray) -> np.ndarray:
        """The candidate pairs whose signatures agree enough (see ``agreement_floor``)."""
        keep = []
        for chunk in _chunks(pairs, _SIGNATURE_PAIRS):
            wanted = pl.Series(np.unique(chunk)).implode()
            found = [batch.filter(pl.col("position").is_in(wanted)) for batch in self._spool]
            table = pl.concat(found).sort("position")
            rows, signatures = table["position"].to_numpy(), table["signature"].to_numpy()
            keep.append(agreeing_mask(chunk, rows, signatures, self.floor))
        pairs = pairs[np.concatenate(keep)]
        self.agreeing = self.verified = len(pairs)
        return pairs

    def _verified(
        self, pairs: np.ndarray, texts_of: Callable[[np.ndarray], dict[int, str]]
    ) -> np.ndarray:
        """The pairs whose exact Jaccard similarity reaches the threshold."""
        keep = []
        for chunk in _chunks(pairs, _TEXT_PAIRS):
            rows = np.unique(chunk)
            texts = texts_of(rows)
            ordered = [texts[r] for r in rows.tolist()]
            keep.append(similar_mask(self.hasher, chunk, rows, ordered, self.threshold))
        pairs = pairs[np.concatenate(keep)]
        self.verified = len(pairs)
        return pairs

    def close(self) -> None:
        """Remove the spool (also done by ``clusters``)."""
        self._spool.close()
