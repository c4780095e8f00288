"""Packing speech regions into clips of a target length, cut only inside silences.

Pure functions on seconds, so the rules are easy to test: neighbouring regions are joined
until a clip reaches ``min_seconds`` (never across a pause longer than
``max_pause_seconds``, never beyond ``max_seconds``); every clip gets ``pad_seconds`` of
context on each side but never more than half of the silence it shares with a neighbour,
so a cut always falls inside a silence and never clips a word's onset or tail. A region
longer than a clip may be is split at its longest pause (the longest run of frames the VAD
scored below ``threshold - 0.15``, silero's exit threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["PackingParams", "pack_clips", "split_long_regions"]

Span = tuple[float, float]

#: A forced split never leaves a piece shorter than this (seconds).
MIN_PIECE_SECONDS = 0.5


@dataclass(frozen=True)
class PackingParams:
    """Target clip window and padding, in seconds."""

    min_seconds: float = 3.0
    max_seconds: float = 10.0
    pad_seconds: float = 0.2
    max_pause_seconds: float = 2.0
    threshold: float = 0.5
    #: Speech this close to the file's start or end is padded all the way to it.
    edge_seconds: float = 0.5

    @property
    def max_core_seconds(self) -> float:
        """Longest speech span that still fits in a clip once padded."""
        return self.max_seconds - 2 * self.pad_seconds


def _longest_pause(
    probabilities: np.ndarray, first: int, last: int, exit_threshold: float
) -> tuple[int, int]:
    """Frames [start, end) of the longest run below ``exit_threshold`` in [first, last).

    Without any such run, the least speech-like frame is the pause. Ties go to the one
    nearest the middle, so the two pieces come out as even as possible.
    """
    import numpy as np

    window = probabilities[first:last]
    middle = (len(window) - 1) / 2
    quiet = np.concatenate(([False], window < exit_threshold, [False]))
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    if len(edges):
        starts, ends = edges[0::2], edges[1::2]
        off_centre = np.abs((starts + ends - 1) / 2 - middle)
        best = int(np.lexsort((off_centre, -(ends - starts)))[0])
        return first + int(starts[best]), first + int(ends[best])
    off_centre = np.abs(np.arange(len(window)) - middle)
    lowest = first + int(np.lexsort((off_centre, window))[0])
    return lowest, lowest + 1


def _split_once(
    span: Span, probabilities: np.ndarray, frame_seconds: float, exit_threshold: float
) -> list[Span]:
    start, end = span
    first_frame = int((start + MIN_PIECE_SECONDS) / frame_seconds) + 1
    last_frame = min(int((end - MIN_PIECE_SECONDS) / frame_seconds), len(probabilities))
    if last_frame <= first_frame:
        middle = (start + end) / 2
        return [(start, middle), (middle, end)]
    pause_start, pause_end = _longest_pause(probabilities, first_frame, last_frame, exit_threshold)
    return [(start, pause_start * frame_seconds), (pause_end * frame_seconds, end)]


def split_long_regions(
    regions: list[Span], probabilities: np.ndarray, frame_seconds: float, params: PackingParams
) -> list[Span]:
    """Split every region longer than a clip may hold at its longest pause, recursively."""
    exit_threshold = max(params.threshold - 0.15, 0.01)
    limit = params.max_core_seconds
    done: list[Span] = []
    todo = list(reversed(regions))
    while todo:
        span = todo.pop()
        if span[1] - span[0] <= limit:
            done.append(span)
            continue
        left, right = _split_once(span, probabilities, frame_seconds, exit_threshold)
        todo.extend([right, left])
    return done


def _fits(first: Span, second: Span, params: PackingParams) -> bool:
    """Whether two neighbouring spans may share a clip: short enough pause, short enough total."""
    return (
        second[1] - first[0] <= params.max_core_seconds
        and second[0] - first[1] <= params.max_pause_seconds
    )


def _is_short(span: Span, params: PackingParams) -> bool:
    return span[1] - span[0] + 2 * params.pad_seconds < params.min_seconds


def _group(regions: list[Span], params: PackingParams) -> list[Span]:
    """Join neighbouring regions until each group is long enough (or cannot grow).

    Every group that is too short (a short sentence between two long ones, or a run of
    short phrases) joins the neighbour it fits with, the one giving the shorter result first,
    until it is long enough; it stays short (and is dropped as ``too_short``) only when it
    fits with neither neighbour.
    """
    groups = list(regions)
    index = 0
    while index < len(groups):
        current = groups[index]
        if not _is_short(current, params):
            index += 1
            continue
        options = []
        if index > 0 and _fits(groups[index - 1], current, params):
            options.append((current[1] - groups[index - 1][0], index - 1))
        if index + 1 < len(groups) and _fits(current, groups[index + 1], params):
            options.append((groups[index + 1][1] - current[0], index + 1))
        if not options:
            index += 1
            continue
        _, other = min(options)
        low, high = sorted((index, other))
        groups[low : high + 1] = [(groups[low][0], groups[high][1])]
        index = low
    return groups


def pack_clips(
    regions: list[Span],
    duration: float,
    probabilities: np.ndarray,
    frame_seconds: float,
    params: PackingParams,
) -> list[Span]:
    """Clips (start, end) in seconds covering every speech region, cut inside silences.

    Speech that comes within ``edge_seconds`` of the file's start or end (a pre-trimmed
    recording) gets its clip extended to that edge: silero scores the first frames of a file
    low even when a word starts at sample 0, so its region begins a frame or more late and
    the padding alone would cut the first consonant.
    """
    spans = split_long_regions(sorted(regions), probabilities, frame_seconds, params)
    groups = _group(spans, params)
    clips: list[Span] = []
    for index, (start, end) in enumerate(groups):
        left_limit = 0.0 if index == 0 else (groups[index - 1][1] + start) / 2
        right_limit = duration if index == len(groups) - 1 else (end + groups[index + 1][0]) / 2
        clip_start = max(start - params.pad_seconds, left_limit, 0.0)
        clip_end = min(end + params.pad_seconds, right_limit, duration)
        # Reaching an edge never makes a clip longer than max_seconds.
        if index == 0 and start <= params.edge_seconds:
            clip_start = min(clip_start, max(0.0, clip_end - params.max_seconds))
        if index == len(groups) - 1 and duration - end <= params.edge_seconds:
            clip_end = max(clip_end, min(duration, clip_start + params.max_seconds))
        if clip_end > clip_start:
            clips.append((clip_start, clip_end))
    return clips
