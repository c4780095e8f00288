"""Streaming summaries with bounded memory: histograms, top-k counts and a seeded sample."""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Reservoir", "Values", "histogram", "shared_histogram"]

T = TypeVar("T")

#: Histogram bins, and the quantile past which values go to the last bin.
BINS = 30
CLIP_QUANTILE = 0.995


class Values:
    """Numbers collected for a histogram: a compact array (8 bytes a value)."""

    def __init__(self) -> None:
        self.data = array("d")

    def add(self, value: float | None) -> None:
        if value is not None and not math.isnan(value):
            self.data.append(value)

    def __len__(self) -> int:
        return len(self.data)


def _nice_width(span: float, bins: int, integer: bool) -> float:
    raw = span / bins if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        width = step * magnitude
        if width >= raw:
            break
    return max(1.0, math.ceil(width)) if integer else width


def histogram(
    values: Iterable[float],
    *,
    bins: int = BINS,
    integer: bool = False,
    clip_quantile: float = CLIP_QUANTILE,
) -> dict[str, Any]:
    """Equal-width bins from the minimum to a high quantile; the last bin takes the tail.

    Returns ``{"edges": [...], "counts": [...], "overflow": bool}``: bin ``i`` is
    ``edges[i] <= v < edges[i+1]``; when ``overflow`` the last bin also holds everything above.
    """
    ordered = sorted(values)
    if not ordered:
        return {"edges": [], "counts": [], "overflow": False}
    edges, low, width = _edges(ordered, bins, integer, clip_quantile)
    count = len(edges) - 1
    counts = [0] * count
    for value in ordered:
        # Clamped as a float first: a value far past a tiny width gives an infinite quotient.
        counts[int(min(count - 1, (value - low) // width))] += 1
    return {"edges": edges, "counts": counts, "overflow": ordered[-1] >= edges[-1]}


def _edges(
    ordered: list[float], bins: int, integer: bool, clip_quantile: float
) -> tuple[list[float], float, float]:
    """Bin edges of sorted, non-empty values, with the unrounded first edge and the width."""
    low = math.floor(ordered[0]) if integer else ordered[0]
    top = ordered[min(len(ordered) - 1, int(clip_quantile * (len(ordered) - 1)))]
    width = _nice_width(top - low, bins, integer)
    low = math.floor(low / width) * width
    count = max(1, min(bins, math.floor((top - low) / width) + 1))
    return [round(low + i * width, 6) for i in range(count + 1)], low, width


def shared_histogram(series: dict[str, Values], *, integer: bool = False) -> dict[str, Any]:
    """Several series binned on the same edges (e.g. chosen vs rejected lengths)."""
    # The pooled values give the edges only: each series is counted below.
    pooled = sorted(v for values in series.values() for v in values.data)
    if not pooled:
        return {"edges": [], "overflow": False, "series": []}
    edges = _edges(pooled, BINS, integer, CLIP_QUANTILE)[0]
    out: dict[str, Any] = {"edges": edges, "overflow": pooled[-1] >= edges[-1], "series": []}
    width = edges[1] - edges[0]
    for label, values in series.items():
        counts = [0] * (len(edges) - 1)
        for value in values.data:
            counts[int(min(len(counts) - 1, max(0, (value - edges[0]) // width)))] += 1
        out["series"].append({"label": label, "counts": counts})
    return out


class Reservoir(Generic[T]):
    """A uniform random sample of at most ``size`` items from a stream (Algorithm R, seeded)."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.items: list[tuple[int, T]] = []
        self.seen = 0
        self._random = random.Random(seed)

    def offer(self, make: Any) -> None:
        """``make`` builds the item only when it is kept, so rejected rows cost nothing."""
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append((self.seen, make()))
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = (self.seen, make())

    def sample(self) -> list[T]:
        """The kept items in stream order."""
        return [item for _, item in sorted(self.items, key=lambda pair: pair[0])]
