"""Our silero-vad runner against silero-vad's own code, on real speech."""

from __future__ import annotations

import numpy as np
import pytest
from tests.voice.conftest import SPEAKERS, read_mono

from dataprep.voice.vad import SileroVad, regions_from_probabilities, speech_map

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """The fixtures joined (16 kHz), with a 3 s gap and a burst of noise to make it harder."""
    import soxr

    parts = []
    for path in sorted(SPEAKERS.rglob("*.*")):
        audio, rate = read_mono(path)
        parts += [
            soxr.resample(audio, rate, 16000).astype(np.float32),
            np.zeros(48000, dtype=np.float32),
        ]
    noise = np.random.default_rng(0).normal(0, 0.05, 8000).astype(np.float32)
    return np.concatenate([*parts, noise])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_probabilities_equal_silero_vads_own_sequence_model(speech: np.ndarray) -> None:
    silero_vad = pytest.importorskip("silero_vad")
    reference = silero_vad.load_silero_vad(sequence=True).audio_forward(speech, sampling_rate=16000)
    ours = SileroVad().speech_probabilities(speech)
    np.testing.assert_array_equal(ours, reference)
    assert ours.max() > 0.9 and ours.min() < 0.1


@pytest.mark.parametrize(
    ("threshold", "min_speech_ms", "min_silence_ms"),
    [(0.5, 250, 300), (0.5, 250, 100), (0.35, 100, 500), (0.7, 400, 1000)],
    ids=["defaults", "silero-defaults", "sensitive", "strict"],
)
def test_regions_equal_silero_get_speech_timestamps_from_probs(
    speech: np.ndarray, threshold: float, min_speech_ms: int, min_silence_ms: int
) -> None:
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    probabilities = SileroVad().speech_probabilities(speech).tolist()
    expected = get_speech_timestamps_from_probs(
        probabilities,
        threshold=threshold,
        min_speech_duration_ms=min_speech_ms,
        min_silence_duration_ms=min_silence_ms,
        speech_pad_ms=0,
        audio_length_samples=len(speech),
    )
    ours = regions_from_probabilities(
        probabilities,
        len(speech),
        threshold=threshold,
        min_speech_ms=min_speech_ms,
        min_silence_ms=min_silence_ms,
    )
    assert ours == [(s["start"] / 16000, s["end"] / 16000) for s in expected]
    assert len(ours) >= 5  # 4 files, 8 sentences; a long min_silence joins some


def test_speech_map_finds_each_sentence_of_the_narration() -> None:
    audio, _ = read_mono(SPEAKERS / "colin" / "narration.wav")
    found = speech_map(SileroVad(), audio)
    assert len(found.regions) == 3
    # Sentences start after the fixture's 0.4 s lead-in and the 1.2 s and 0.6 s pauses.
    assert found.regions[0][0] == pytest.approx(0.45, abs=0.1)
    assert found.duration == pytest.approx(len(audio) / 16000)


def test_silence_and_an_empty_array_have_no_regions() -> None:
    vad = SileroVad()
    assert speech_map(vad, np.zeros(16000 * 3, dtype=np.float32)).regions == []
    assert speech_map(vad, np.zeros(0, dtype=np.float32)).regions == []
