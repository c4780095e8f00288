"""Near-duplicate detection for generated rows: MinHash over character shingles, LSH lookup.

Kept behind one small class so a faster shared implementation can replace it. Candidates
from the LSH index are confirmed with the MinHash Jaccard estimate, so the threshold is
the one that decides, not the banding.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from dataprep.deps import require

__all__ = ["NearDuplicateIndex", "jaccard", "shingles"]

_SPACES = re.compile(r"\s+")


def shingles(text: str, size: int = 5) -> set[str]:
    """Character ``size``-grams of ``text`` lowercased with runs of spaces collapsed."""
    normal = _SPACES.sub(" ", text.lower()).strip()
    if len(normal) <= size:
        return {normal}
    return {normal[i : i + size] for i in range(len(normal) - size + 1)}


def jaccard(a: str, b: str, size: int = 5) -> float:
    """Exact Jaccard similarity of the shingle sets of two texts."""
    left, right = shingles(a, size), shingles(b, size)
    return len(left & right) / len(left | right) if left or right else 1.0


class NearDuplicateIndex:
    """Texts added under a key; ``match`` names the first indexed key at or over ``threshold``.

    Shingles are hashed with CRC-32 (fast, stable across processes; the affine32 scheme
    mixes it with the MurmurHash3 finalizer before permuting). Defaults: 128 permutations (distilabel's ``MinHashDedup`` default, about 0.09 standard
    error on the Jaccard estimate) and a 0.7 threshold on 5-character shingles, the cut-off
    Self-Instruct and Alpaca use (there with ROUGE-L) for "too close to a seed".
    """

    def __init__(self, threshold: float = 0.7, num_perm: int = 128, shingle_size: int = 5) -> None:
        datasketch = require("datasketch", extra="bootstrap")
        self._datasketch = datasketch
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self._lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._hashes: dict[str, Any] = {}
        # Drawing the permutations is the costly part of a MinHash; draw them once.
        first = datasketch.MinHash(
            num_perm=num_perm, seed=1, scheme="affine32", hashfunc=zlib.crc32
        )
        self._permutations = first.permutations

    def _minhash(self, text: str) -> Any:
        minhash = self._datasketch.MinHash(
            num_perm=self.num_perm,
            seed=1,
            permutations=self._permutations,
            scheme="affine32",
            hashfunc=zlib.crc32,
        )
        minhash.update_batch([s.encode() for s in shingles(text, self.shingle_size)])
        return minhash

    def match(self, text: str) -> str | None:
        """The key of an indexed text this one nearly duplicates, or None."""
        return self._best(self._minhash(text))

    def add(self, key: str, text: str) -> None:
        self._insert(key, self._minhash(text))

    def match_or_add(self, key: str, text: str) -> str | None:
        """``match``, and index ``text`` under ``key`` when it matches nothing (one MinHash)."""
        minhash = self._minhash(text)
        found = self._best(minhash)
        if found is None:
            self._insert(key, minhash)
        return found

    def _best(self, minhash: Any) -> str | None:
        best: tuple[float, str] | None = None
        for key in self._lsh.query(minhash):
            similarity = minhash.jaccard(self._hashes[key])
            if similarity >= self.threshold and (best is None or (similarity, key) > best):
                best = (similarity, key)
        return None if best is None else best[1]

    def _insert(self, key: str, minhash: Any) -> None:
        if key not in self._hashes:
            self._hashes[key] = minhash
            self._lsh.insert(key, minhash)

    def __len__(self) -> int:
        return len(self._hashes)
