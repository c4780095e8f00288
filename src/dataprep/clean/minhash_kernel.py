"""The compiled MinHash kernel: one pass over a text's characters, every permutation at once.

numpy needs the shingle hashes of a whole batch as arrays (about 60 bytes a character) and
a permutation matrix per chunk; this loop keeps one shingle in registers and updates the
``num_perm`` minima in place, which LLVM vectorises. It releases the GIL, so the texts of a
batch are cut into one share per core and hashed in threads. Measured on the 1M-message
WhatsApp benchmark's samples (1.6k characters on average): 88 M characters/s on one core
against 25 M for the numpy version (benchmarks/RESULTS.md, "MinHash kernels").

The values are bit for bit those of ``MinHasher.shingle_hashes`` + ``_fmix32`` + ``a * h + b``
(tests/clean/test_minhash.py compares them with datasketch).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numba
import numpy as np

__all__ = ["pair_jaccard", "shared_pool", "signature_rows", "workers"]

_MASK32 = np.uint64(0xFFFFFFFF)


@numba.njit(nogil=True, cache=True, inline="always")
def _shingle_hash(points: np.ndarray, at: int, powers: np.ndarray) -> np.uint64:
    """The 64-bit hash of the shingle starting at ``at``: MurmurHash3's fmix64 of the
    polynomial of its code points (``MinHasher.layout`` pads every text with zeros)."""
    total = np.uint64(0)
    for j in range(powers.size):
        total += np.uint64(points[at + j]) * powers[j]
    total ^= total >> np.uint64(33)
    total *= np.uint64(0xFF51AFD7ED558CCD)
    total ^= total >> np.uint64(33)
    total *= np.uint64(0xC4CEB9FE1A85EC53)
    total ^= total >> np.uint64(33)
    return total


@numba.njit(nogil=True, cache=True)
def _fill_signatures(
    points: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    powers: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
    first: int,
    last: int,
) -> None:  # pragma: no cover - compiled; exercised through signature_rows
    ngram = powers.size
    perms = a.size
    for row in range(first, last):
        start = starts[row]
        count = max(lengths[row] - ngram + 1, 1)
        signature = out[row]
        for p in range(perms):
            signature[p] = np.uint32(0xFFFFFFFF)
        for i in range(count):
            # fmix32 of the shingle hash's low half: datasketch's affine32 pre-mix.
            mixed = _shingle_hash(points, start + i, powers) & _MASK32
            mixed ^= mixed >> np.uint64(16)
            mixed = (mixed * np.uint64(0x85EBCA6B)) & _MASK32
            mixed ^= mixed >> np.uint64(13)
            mixed = (mixed * np.uint64(0xC2B2AE35)) & _MASK32
            mixed ^= mixed >> np.uint64(16)
            shingle = np.uint32(mixed)
            # An unconditional min, not "if value < signature[p]": LLVM then vectorises it
            # with vpminud and plain stores instead of masked stores, which AMD Zen cores run
            # slowly (measured 4.2x the CPU time on the chat benchmark's samples).
            for p in range(perms):
                signature[p] = min(signature[p], np.uint32(a[p] * shingle + b[p]))


@numba.njit(nogil=True, cache=True)
def _shingle_set(points: np.ndarray, start: int, length: int, powers: np.ndarray) -> np.ndarray:
    """Sorted distinct 64-bit shingle hashes of one text (fmix64 of the polynomial, as in
    ``_shingle_hash``)."""
    ngram = powers.size
    count = max(length - ngram + 1, 1)
    hashes = np.empty(count, dtype=np.uint64)
    for i in range(count):
        hashes[i] = _shingle_hash(points, start + i, powers)
    return np.unique(hashes)


@numba.njit(nogil=True, cache=True)
def pair_jaccard(
    points: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    powers: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of texts ``first[i]`` and ``second[i]``;
    each text's set is built once."""
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    for t in range(lengths.size):
        offsets[t + 1] = offsets[t] + max(lengths[t] - powers.size + 1, 1)
    sets = np.empty(offsets[-1], dtype=np.uint64)
    sizes = np.empty(lengths.size, dtype=np.int64)
    for t in range(lengths.size):
        found = _shingle_set(points, starts[t], lengths[t], powers)
        sets[offsets[t] : offsets[t] + found.size] = found
        sizes[t] = found.size
    out = np.empty(first.size, dtype=np.float64)
    for i in range(first.size):
        a = sets[offsets[first[i]] : offsets[first[i]] + sizes[first[i]]]
        b = sets[offsets[second[i]] : offsets[second[i]] + sizes[second[i]]]
        shared, x, y = 0, 0, 0
        while x < a.size and y < b.size:
            if a[x] == b[y]:
                shared += 1
                x += 1
                y += 1
            elif a[x] < b[y]:
                x += 1
            else:
                y += 1
        out[i] = shared / (a.size + b.size - shared)
    return out


def workers() -> int:
    """Cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


@cache
def shared_pool() -> tuple[ThreadPoolExecutor | None, int]:
    """One thread per core for the whole process (None on a single core), and that count."""
    parts = workers()
    if parts == 1:
        return None, 1
    return ThreadPoolExecutor(parts, thread_name_prefix="dataprep-minhash"), parts


def _shares(lengths: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Consecutive row ranges with about the same number of characters each."""
    if parts <= 1 or lengths.size < 2 * parts:
        return [(0, int(lengths.size))]
    cuts = np.searchsorted(np.cumsum(lengths), np.arange(1, parts) * lengths.sum() / parts)
    bounds = [0, *sorted({int(c) for c in cuts if 0 < c < lengths.size}), int(lengths.size)]
    return list(itertools.pairwise(bounds))


def signature_rows(
    points: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    powers: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    pool: ThreadPoolExecutor | None = None,
    parts: int = 1,
) -> np.ndarray:
    """Signatures of the texts laid out in ``points`` (code points, each text followed by
    ``ngram`` zeros) at ``starts`` with ``lengths``, cut into ``parts`` shares run in ``pool``."""
    out = np.empty((lengths.size, a.size), dtype=np.uint32)
    shares = _shares(lengths, parts)
    if pool is None or len(shares) == 1:
        _fill_signatures(points, starts, lengths, powers, a, b, out, 0, lengths.size)
        return out
    jobs = [
        pool.submit(_fill_signatures, points, starts, lengths, powers, a, b, out, first, last)
        for first, last in shares
    ]
    for job in jobs:
        job.result()
    return out
