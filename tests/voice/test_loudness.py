"""Level checks and loudness normalization of clips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.voice.conftest import NARRATION, read_mono

from dataprep.voice.loudness import measure, normalize


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=1e-4, max_value=4.0),
    st.sampled_from(["peak", "lufs"]),
    st.floats(min_value=-30.0, max_value=-10.0),
)
def test_normalized_clips_never_pass_the_peak_ceiling(gain: float, mode: str, lufs: float) -> None:
    audio, rate = read_mono(NARRATION)
    out = normalize(audio[: rate * 3] * np.float32(gain), rate, mode, peak_dbfs=-1.0, lufs=lufs)  # type: ignore[arg-type]
    assert float(np.abs(out).max()) <= 10 ** (-1 / 20) * 1.0001


def test_lufs_mode_reaches_the_target_loudness() -> None:
    import pyloudnorm

    audio, rate = read_mono(NARRATION)
    out = normalize(audio * 0.05, rate, "lufs", peak_dbfs=-1.0, lufs=-23.0)
    assert pyloudnorm.Meter(rate).integrated_loudness(out.astype(np.float64)) == pytest.approx(
        -23.0, abs=0.1
    )


def test_silence_and_none_mode_are_left_alone() -> None:
    silence = np.zeros(16000, dtype=np.float32)
    assert np.array_equal(normalize(silence, 16000, "lufs"), silence)
    tone = np.full(100, 0.25, dtype=np.float32)
    assert np.array_equal(normalize(tone, 16000, "none"), tone)
    assert normalize(tone, 16000, "lufs").max() == pytest.approx(10 ** (-1 / 20))  # too short: peak


def test_levels_report_clipping_and_quietness() -> None:
    clipped = np.concatenate([np.full(10, 1.0), np.zeros(990)]).astype(np.float32)
    levels = measure(clipped)
    assert levels.clipped_ratio == pytest.approx(0.01) and levels.peak_dbfs == pytest.approx(0.0)
    quiet = measure(np.full(1000, 0.001, dtype=np.float32))
    assert quiet.rms_dbfs == pytest.approx(-60.0, abs=0.01) and quiet.clipped_ratio == 0.0
    assert measure(np.zeros(0, dtype=np.float32)).rms_dbfs == -120.0  # finite: JSON-safe
    assert measure(np.zeros(50, dtype=np.float32)).peak_dbfs == -120.0
