"""Voice activity detection: per-frame speech probabilities and the speech regions they give.

The model is silero-vad's sequence ONNX model (``silero_vad_16k_sequence.onnx`` from the
silero-vad wheel), the fastest of the models that wheel ships on CPU (measured on 123 s of
speech on this 2-core box: TorchScript 1.01 s, frame ONNX 0.36 s, sequence ONNX 0.14 s).
It runs on onnxruntime directly, framed the way ``silero_vad.sequence_vad`` frames it,
because importing the ``silero_vad`` package imports torch (measured: 3.0 s and 225 MB
before the first frame), which costs more than the VAD itself. ``tests/voice`` checks that
the probabilities and regions equal silero-vad's own ``audio_forward`` and
``get_speech_timestamps_from_probs``. Tests may pass any object with ``speech_probabilities``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dataprep.deps import require
from dataprep.errors import MissingDependencyError, ModelLoadError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "SileroVad",
    "SpeechMap",
    "VoiceActivityDetector",
    "regions_from_probabilities",
    "silero_model_path",
    "speech_map",
]

#: VAD and ASR both run at 16 kHz; silero scores one 512-sample (32 ms) frame at a time,
#: seeing the last 64 samples of the frame before as context.
SAMPLE_RATE = 16000
FRAME_SAMPLES = 512
CONTEXT_SAMPLES = 64
#: Frames per ONNX call (silero's default: about 16 s of audio).
BLOCK_FRAMES = 512
SEQUENCE_MODEL = "silero_vad_16k_sequence.onnx"


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


def silero_model_path() -> Path:
    """The sequence ONNX file inside the installed silero-vad wheel (found without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("silero-vad", "voice")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / SEQUENCE_MODEL
    if not path.is_file():
        raise ModelLoadError(
            f"the installed silero-vad has no {SEQUENCE_MODEL}",
            hint='You can fix this with: pip install --upgrade "silero-vad>=6.2.3"',
        )
    return path


class SileroVad:
    """silero-vad's sequence ONNX model, loaded once from the wheel (no download)."""

    def __init__(self) -> None:
        ort = require("onnxruntime", extra="voice")
        options = ort.SessionOptions()
        # One thread, as silero-vad sets it: VAD runs beside Whisper, which takes the cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        path = silero_model_path()
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # a damaged file or an incompatible onnxruntime
            raise ModelLoadError(
                f"cannot load the silero-vad model ({type(error).__name__}: {error})",
                hint='You can fix this by reinstalling it: pip install --force-reinstall "silero-vad>=6.2.3"',
            ) from None

    def speech_probabilities(self, audio: np.ndarray) -> np.ndarray:
        import numpy as np

        hidden = np.zeros((1, 1, 128), dtype=np.float32)
        cell = np.zeros((1, 1, 128), dtype=np.float32)
        out = []
        for block in _frame_blocks(np.ascontiguousarray(audio, dtype=np.float32)):
            values, hidden, cell = self._session.run(
                ["speech_probs", "hn", "cn"], {"input": block, "h": hidden, "c": cell}
            )
            out.append(values)
        return np.concatenate(out).reshape(-1) if out else np.zeros(0, dtype=np.float32)


def _frame_blocks(audio: np.ndarray) -> Iterator[np.ndarray]:
    """Blocks of up to 512 frames, each frame prefixed by the last 64 samples of the one before.

    The same framing as ``silero_vad.sequence_vad.frame_blocks``; the last frame is zero-padded.
    """
    import numpy as np

    count = (audio.size + FRAME_SAMPLES - 1) // FRAME_SAMPLES
    previous = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
    for first in range(0, count, BLOCK_FRAMES):
        frames_in_block = min(BLOCK_FRAMES, count - first)
        samples = audio[first * FRAME_SAMPLES : (first + frames_in_block) * FRAME_SAMPLES]
        frames = np.zeros((frames_in_block, FRAME_SAMPLES), dtype=np.float32)
        frames.reshape(-1)[: samples.size] = samples
        contexts = np.empty((frames_in_block, CONTEXT_SAMPLES), dtype=np.float32)
        contexts[0] = previous
        contexts[1:] = frames[:-1, -CONTEXT_SAMPLES:]
        previous = frames[-1, -CONTEXT_SAMPLES:].copy()
        yield np.concatenate((contexts, frames), axis=1)


def regions_from_probabilities(
    probabilities: Sequence[float] | np.ndarray,
    n_samples: int,
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 300,
) -> list[tuple[float, float]]:
    """Speech regions in seconds, by silero-vad's hysteresis state machine.

    Speech starts at ``threshold`` and ends after ``min_silence_ms`` below
    ``threshold - 0.15``; regions of ``min_speech_ms`` or less are dropped. No padding and
    no length cap: packing pads clips and splits long regions itself.
    """
    exit_threshold = max(threshold - 0.15, 0.01)
    min_speech = SAMPLE_RATE * min_speech_ms / 1000
    min_silence = SAMPLE_RATE * min_silence_ms / 1000
    regions: list[tuple[int, int]] = []
    triggered, start, silence_start = False, 0, 0
    for index, probability in enumerate(probabilities):
        sample = index * FRAME_SAMPLES
        if probability >= threshold:
            silence_start = 0
            if not triggered:
                triggered, start = True, sample
            continue
        if triggered and probability < exit_threshold:
            silence_start = silence_start or sample
            if sample - silence_start < min_silence:
                continue
            if silence_start - start > min_speech:
                regions.append((start, silence_start))
            triggered, silence_start = False, 0
    if triggered and n_samples - start > min_speech:
        regions.append((start, n_samples))
    return [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in regions]


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
    regions = regions_from_probabilities(
        probabilities.tolist(),
        len(audio),
        threshold=threshold,
        min_speech_ms=min_speech_ms,
        min_silence_ms=min_silence_ms,
    )
    return SpeechMap(regions, probabilities, len(audio) / SAMPLE_RATE)
