"""Packing speech regions into clips, and cutting clips from a block stream."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.voice.clips import clip_name, cut_spans, sample_spans
from dataprep.voice.packing import PackingParams, pack_clips, split_long_regions

FRAME = 0.032
PARAMS = PackingParams(min_seconds=3.0, max_seconds=10.0, pad_seconds=0.2, max_pause_seconds=2.0)


def probabilities_for(regions: list[tuple[float, float]], duration: float) -> np.ndarray:
    """Frame scores: 0.9 inside regions, 0.05 outside (what silero gives clean speech)."""
    times = (np.arange(int(duration / FRAME) + 1) + 0.5) * FRAME
    inside = np.zeros(len(times), dtype=bool)
    for start, end in regions:
        inside |= (times >= start) & (times < end)
    return np.where(inside, 0.9, 0.05).astype(np.float32)


@st.composite
def speech_layouts(draw: st.DrawFn) -> tuple[list[tuple[float, float]], float]:
    """Non-overlapping regions separated by pauses of at least 0.3 s (silero's min_silence)."""
    n = draw(st.integers(min_value=0, max_value=12))
    cursor = draw(st.floats(min_value=0.0, max_value=2.0))
    regions = []
    for _ in range(n):
        length = draw(st.floats(min_value=0.25, max_value=25.0))
        regions.append((round(cursor, 3), round(cursor + length, 3)))
        cursor += length + draw(st.floats(min_value=0.3, max_value=4.0))
    return regions, round(cursor + draw(st.floats(min_value=0.0, max_value=1.0)), 3)


@settings(max_examples=150, deadline=None)
@given(speech_layouts())
def test_clips_are_ordered_disjoint_bounded_and_cover_all_speech(layout: tuple) -> None:
    regions, duration = layout
    probabilities = probabilities_for(regions, duration)
    clips = pack_clips(regions, duration, probabilities, FRAME, PARAMS)
    for (_, end), (start, _) in itertools.pairwise(clips):
        assert end <= start
    for start, end in clips:
        assert 0.0 <= start < end <= duration + 1e-9
        assert end - start <= PARAMS.max_seconds + 1e-9
    # Every stretch of speech lands inside some clip, except where a region longer than a
    # clip had to be split (its split points lie in the longest pause, here a 32 ms frame).
    pieces = split_long_regions(regions, probabilities, FRAME, PARAMS)
    for start, end in pieces:
        assert any(a <= start + 1e-9 and end <= b + 1e-9 for a, b in clips), (start, end, clips)


@settings(max_examples=150, deadline=None)
@given(speech_layouts())
def test_cuts_between_clips_fall_outside_speech(layout: tuple) -> None:
    regions, duration = layout
    probabilities = probabilities_for(regions, duration)
    pieces = split_long_regions(regions, probabilities, FRAME, PARAMS)
    for start, end in pack_clips(regions, duration, probabilities, FRAME, PARAMS):
        for cut in (start, end):
            assert not any(a + 1e-9 < cut < b - 1e-9 for a, b in pieces)


def test_neighbouring_sentences_join_until_the_minimum_length() -> None:
    regions = [(0.5, 1.5), (1.9, 2.6), (3.0, 4.2), (8.0, 12.0)]
    clips = pack_clips(regions, 13.0, probabilities_for(regions, 13.0), FRAME, PARAMS)
    # The first three are joined (1.0 + 0.7 s are too short alone); the 3.8 s pause ends it.
    # Speech 0.5 s from the start is padded back to the file start.
    assert [(round(a, 2), round(b, 2)) for a, b in clips] == [(0.0, 4.4), (7.8, 12.2)]


def test_padding_never_reaches_past_the_middle_of_a_short_pause() -> None:
    regions = [(1.0, 4.5), (4.8, 8.0)]
    clips = pack_clips(regions, 9.0, probabilities_for(regions, 9.0), FRAME, PARAMS)
    assert clips[0][1] == pytest.approx(4.65)
    assert clips[1][0] == pytest.approx(4.65)


def test_an_overlong_region_is_split_at_its_longest_pause() -> None:
    # 24 s of "speech" whose scores dip for 0.1 s at 6 s and for 0.4 s at 14 s.
    probabilities = np.full(int(25 / FRAME), 0.9, dtype=np.float32)
    probabilities[int(6.0 / FRAME) : int(6.1 / FRAME)] = 0.2
    probabilities[int(14.0 / FRAME) : int(14.4 / FRAME)] = 0.2
    pieces = split_long_regions([(0.5, 24.5)], probabilities, FRAME, PARAMS)
    # First at the longer pause (14 s), then the 13.5 s left part at the shorter one (6 s);
    # the 10.1 s right part has no pause left and is cut in its middle.
    expected = [(0.5, 6.0), (6.1, 14.0), (14.4, 19.4), (19.5, 24.5)]
    assert [(round(a, 1), round(b, 1)) for a, b in pieces] == expected
    assert all(end - start <= PARAMS.max_core_seconds for start, end in pieces)


def test_split_without_any_pause_cuts_at_the_least_speech_like_frame() -> None:
    probabilities = np.full(int(13 / FRAME), 0.95, dtype=np.float32)
    probabilities[int(5.0 / FRAME)] = 0.6
    pieces = split_long_regions([(0.0, 12.0)], probabilities, FRAME, PARAMS)
    assert len(pieces) == 2
    assert pieces[0][1] == pytest.approx(5.0, abs=FRAME)
    flat = np.full(int(13 / FRAME), 0.95, dtype=np.float32)
    halves = split_long_regions([(0.0, 12.0)], flat, FRAME, PARAMS)
    assert halves[0][1] == pytest.approx(6.0, abs=FRAME)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 20000), st.integers(1, 3000)), max_size=6),
)
def test_cutting_a_block_stream_equals_slicing_the_whole_signal(
    block_sizes: list[int], raw: list
) -> None:
    signal = np.arange(sum(block_sizes), dtype=np.float32)
    blocks = np.split(signal, np.cumsum(block_sizes)[:-1])
    spans, cursor = [], 0
    for gap, length in raw:
        spans.append((cursor + gap, cursor + gap + length))
        cursor += gap + length
    cut = dict(cut_spans(iter(blocks), spans))
    assert sorted(cut) == list(range(len(spans)))
    for index, (start, end) in enumerate(spans):
        np.testing.assert_array_equal(cut[index], signal[start:end])


def test_sample_spans_and_clip_names_are_stable_and_unique_per_folder() -> None:
    assert sample_spans([(0.25, 1.5)], 32000) == [(8000, 48000)]
    first = clip_name("a/take 1.wav", 1.0, 4.25)
    assert first == clip_name("a/take 1.wav", 1.0, 4.25)
    assert first.endswith("-00001000-00004250.wav") and " " not in first
    assert first != clip_name("b/take 1.wav", 1.0, 4.25)


@pytest.mark.parametrize(
    ("regions", "duration", "expected"),
    [
        # silero's first region starts a few frames late on a file that starts with speech.
        ([(0.256, 4.0)], 5.0, [(0.0, 4.2)]),
        # Speech running up to the very end gets the end, not the padding.
        ([(1.0, 5.9)], 6.2, [(0.8, 6.2)]),
        # Both edges at once.
        ([(0.1, 5.9)], 6.1, [(0.0, 6.1)]),
        # Far from the edges only the padding is added.
        ([(1.0, 5.0)], 7.0, [(0.8, 5.2)]),
    ],
    ids=["start", "end", "both", "inside"],
)
def test_speech_near_a_file_edge_is_padded_to_the_edge(
    regions: list[tuple[float, float]], duration: float, expected: list[tuple[float, float]]
) -> None:
    clips = pack_clips(regions, duration, probabilities_for(regions, duration), FRAME, PARAMS)
    assert [(round(a, 3), round(b, 3)) for a, b in clips] == expected


def test_reaching_an_edge_never_makes_a_clip_longer_than_the_maximum() -> None:
    regions = [(0.45, 10.05)]
    clips = pack_clips(regions, 10.1, probabilities_for(regions, 10.1), FRAME, PARAMS)
    assert all(end - start <= PARAMS.max_seconds + 1e-9 for start, end in clips)


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        # 2.1 s between a 6 s and a 4 s sentence: joins the shorter result (the right one).
        ([(1.0, 7.0), (7.5, 9.6), (10.0, 14.0)], [(0.8, 7.2), (7.3, 14.2)]),
        # The left neighbour is the one it fits with.
        ([(1.0, 4.0), (4.5, 6.6), (7.0, 14.0)], [(0.8, 6.8), (6.8, 14.2)]),
    ],
    ids=["joins-right", "joins-left"],
)
def test_a_short_sentence_between_long_ones_joins_a_neighbour(
    regions: list[tuple[float, float]], expected: list[tuple[float, float]]
) -> None:
    clips = pack_clips(regions, 16.0, probabilities_for(regions, 16.0), FRAME, PARAMS)
    assert [(round(a, 3), round(b, 3)) for a, b in clips] == expected
    assert all(end - start >= PARAMS.min_seconds for start, end in clips)


def test_a_short_sentence_that_fits_with_no_neighbour_stays_alone() -> None:
    regions = [(1.0, 9.0), (9.4, 11.5), (11.9, 20.0)]
    clips = pack_clips(regions, 21.0, probabilities_for(regions, 21.0), FRAME, PARAMS)
    assert [(round(a, 2), round(b, 2)) for a, b in clips][1] == (9.2, 11.7)
