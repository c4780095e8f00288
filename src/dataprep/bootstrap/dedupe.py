"""Near-duplicate checks for generated rows, on the shared MinHash of ``dataprep.clean.minhash``.

Generation needs an index that grows one row at a time (is this reply too close to a seed or
to a row already accepted?), so ``SimilarTextIndex`` keeps each text's LSH band keys in
buckets and confirms every candidate with the exact Jaccard similarity of the shingle sets:
the threshold decides, not the banding. Signatures and band keys come from the same
``MinHasher`` and ``band_keys`` as ``dataprep clean``'s dedupe and split.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from dataprep.deps import require

__all__ = ["SimilarTextIndex", "jaccard", "normalize"]

_SPACES = re.compile(r"\s+")
#: 32 bands of 4 rows over 128 permutations: a pair at Jaccard 0.7 becomes a candidate with
#: probability 0.9998 (0.87 at 0.5, then rejected by the exact check).
_BANDS, _ROWS = 32, 4


def normalize(text: str) -> str:
    """Lowercased, runs of whitespace collapsed: case and spacing never make a row new."""
    return _SPACES.sub(" ", text.lower()).strip()


def jaccard(a: str, b: str, size: int = 5) -> float:
    """Exact Jaccard similarity of the shingle sets of two normalized texts."""
    from dataprep.clean.minhash import exact_jaccard

    return exact_jaccard(normalize(a), normalize(b), size)


class SimilarTextIndex:
    """Texts added under a key; ``match`` names the most similar indexed key at or over ``threshold``.

    Defaults: 128 permutations and a 0.7 threshold on 5-character shingles, the cut-off
    Self-Instruct and Alpaca use (there with ROUGE-L) for "too close to a seed".
    """

    def __init__(self, threshold: float = 0.7, num_perm: int = 128, shingle_size: int = 5) -> None:
        require("numpy", extra="bootstrap")
        from dataprep.clean.minhash import MinHasher

        self.threshold = threshold
        self.shingle_size = shingle_size
        self._hasher = MinHasher(num_perm=num_perm, ngram=shingle_size)
        self._bands = min(_BANDS, num_perm // _ROWS)
        self._buckets: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
        self._texts: dict[str, str] = {}

    def _keys(self, normal: str) -> list[tuple[int, int]]:
        from dataprep.clean.minhash import band_keys

        signature = self._hasher.signatures([normal])
        return [
            (band, int(key)) for band, key in enumerate(band_keys(signature, self._bands, _ROWS)[0])
        ]

    def match(self, text: str) -> str | None:
        """The key of an indexed text this one nearly duplicates, or None."""
        normal = normalize(text)
        return self._best(normal, self._keys(normal))

    def add(self, key: str, text: str) -> None:
        normal = normalize(text)
        self._insert(key, normal, self._keys(normal))

    def match_or_add(self, key: str, text: str) -> str | None:
        """``match``, and index ``text`` under ``key`` when it matches nothing (one signature)."""
        normal = normalize(text)
        keys = self._keys(normal)
        found = self._best(normal, keys)
        if found is None:
            self._insert(key, normal, keys)
        return found

    def _best(self, normal: str, keys: list[tuple[int, int]]) -> str | None:
        from dataprep.clean.minhash import exact_jaccard

        best: tuple[float, str] | None = None
        candidates = {key for band_key in keys for key in self._buckets.get(band_key, ())}
        for key in sorted(candidates):
            similarity = exact_jaccard(normal, self._texts[key], self.shingle_size)
            if similarity >= self.threshold and (best is None or (similarity, key) > best):
                best = (similarity, key)
        return None if best is None else best[1]

    def _insert(self, key: str, normal: str, keys: list[tuple[int, int]]) -> None:
        if key in self._texts:
            return
        self._texts[key] = normal
        for band_key in keys:
            self._buckets[band_key].append(key)

    def __len__(self) -> int:
        return len(self._texts)

    def settings(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "bands": self._bands, "rows": _ROWS}
