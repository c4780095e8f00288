"""Voice activity detection: per-frame speech probabilities and the speech regions they give.

The real detector is silero-vad's sequence ONNX model (``load_silero_vad(sequence=True)``),
the fastest of the three models the wheel ships on CPU (measured on 123 s of speech on this
2-core box: TorchScript 1.01 s, frame ONNX 0.36 s, sequence ONNX 0.14 s). Regions come
from silero's own ``get_speech_timestamps_from_probs``, so thresholds mean what they mean
in silero-vad. Tests may pass any object with ``speech_probabilities``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from dataprep.deps import require
from dataprep.errors import ModelLoadError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "SileroVad",
    "SpeechMap",
    "VoiceActivityDetector",
    "speech_map",
]

#: VAD and ASR both run at 16 kHz; silero scores one 512-sample (32 ms) frame at a time.
SAMPLE_RATE = 16000
FRAME_SAMPLES = 512


class VoiceActivityDetector(Protocol):
    """Anything that scores 16 kHz mono audio frame by frame."""

    def speech_probabilities(self, audio: np.ndarray) -> np.ndarray:
        """One speech probability in [0, 1] per 512-sample frame of ``audio``."""
        ...


@dataclass(frozen=True)
class SpeechMap:
    """Speech regions (seconds) of one file plus the frame probabilities they came from."""

    regions: list[tuple[float, float]]
    probabilities: np.ndarray
    duration: float

    @property
    def frame_seconds(self) -> float:
        return FRAME_SAMPLES / SAMPLE_RATE


class SileroVad:
    """silero-vad's sequence ONNX model, loaded once from the wheel (no download)."""

    def __init__(self) -> None:
        silero = require("silero_vad", extra="voice")
        try:
            with warnings.catch_warnings():
                # silero-vad 6.2 still calls importlib.resources.path (deprecated) to find its model.
                warnings.simplefilter("ignore", DeprecationWarning)
                self._model = silero.load_silero_vad(sequence=True)
        except Exception as error:  # onnxruntime or a damaged wheel
            raise ModelLoadError(
                f"cannot load the silero-vad model ({type(error).__name__}: {error})",
                hint='You can fix this by reinstalling it: pip install --force-reinstall "silero-vad>=6.2"',
            ) from None

    def speech_probabilities(self, audio: np.ndarray) -> np.ndarray:
        return self._model.audio_forward(audio, sampling_rate=SAMPLE_RATE)


def _regions_from_probabilities(
    probabilities: np.ndarray,
    n_samples: int,
    *,
    threshold: float,
    min_speech_ms: int,
    min_silence_ms: int,
) -> list[tuple[float, float]]:
    """silero's hysteresis (threshold / threshold-0.15) without padding; we pad when packing."""
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    stamps = get_speech_timestamps_from_probs(
        probabilities.tolist(),
        sampling_rate=SAMPLE_RATE,
        threshold=threshold,
        min_speech_duration_ms=min_speech_ms,
        min_silence_duration_ms=min_silence_ms,
        speech_pad_ms=0,
        audio_length_samples=n_samples,
    )
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def speech_map(
    detector: VoiceActivityDetector,
    audio: np.ndarray,
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 300,
) -> SpeechMap:
    """Run ``detector`` over 16 kHz ``audio`` and turn its scores into speech regions."""
    import numpy as np

    probabilities = np.asarray(detector.speech_probabilities(audio), dtype=np.float32)
    if not len(probabilities):
        regions: list[tuple[float, float]] = []
    else:
        regions = _regions_from_probabilities(
            probabilities,
            len(audio),
            threshold=threshold,
            min_speech_ms=min_speech_ms,
            min_silence_ms=min_silence_ms,
        )
    return SpeechMap(regions, probabilities, len(audio) / SAMPLE_RATE)
