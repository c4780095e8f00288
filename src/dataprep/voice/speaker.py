"""Speaker embeddings from the voice encoder that ships inside the ``resemblyzer`` wheel.

The weights (``resemblyzer/pretrained.pt``, a 3-layer LSTM over 40-band mel frames, GE2E
trained) are loaded into a small torch module here instead of importing ``resemblyzer``:
its package imports ``webrtcvad``, whose module needs ``pkg_resources``, which current
setuptools no longer ships. The front end follows resemblyzer's: 16 kHz audio raised to
-30 dBFS when quieter, a power mel spectrogram (25 ms window, 10 ms step), 1.6 s partial
windows, the L2-normed mean of their embeddings. resemblyzer overlaps its windows (1.3 per
second); here they follow each other (0.625 per second), which halves the cost and, on the
fixtures, moves similarities by less than 0.02. The encoder runs on one thread, beside
Whisper, which takes the cores.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataprep.deps import require
from dataprep.errors import MissingDependencyError, ModelLoadError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SpeakerEncoder", "main_speaker_similarity", "speaker_model_path"]

SAMPLE_RATE = 16000
MEL_BANDS = 40
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms
PARTIAL_FRAMES = 160  # 1.6 s
PARTIAL_STEP = 160  # windows back to back
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0


def speaker_model_path() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer wheel (found without importing it)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("resemblyzer", "voice")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise ModelLoadError(
            "the installed resemblyzer has no pretrained.pt",
            hint="You can fix this by reinstalling it: pip install --force-reinstall resemblyzer",
        )
    return path


class SpeakerEncoder:
    """Utterance embeddings (256 floats, L2-normed) of 16 kHz mono clips."""

    def __init__(self) -> None:
        torch = require("torch", extra="voice")
        torch.set_num_threads(1)
        self._torch = torch
        self._lstm = torch.nn.LSTM(MEL_BANDS, 256, 3, batch_first=True)
        self._linear = torch.nn.Linear(256, 256)
        try:
            state = torch.load(speaker_model_path(), map_location="cpu", weights_only=True)
            weights = state["model_state"]
            self._lstm.load_state_dict(_prefixed(weights, "lstm."))
            self._linear.load_state_dict(_prefixed(weights, "linear."))
        except (OSError, KeyError, RuntimeError) as error:
            raise ModelLoadError(f"cannot load the speaker encoder ({error})") from None
        self._lstm.eval()
        self._linear.eval()
        self._filters = _mel_filters()

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """The clip's embedding: the normalized mean of its 1.6 s partial embeddings."""
        import numpy as np

        mels = self._mel(_raise_volume(audio))
        partials = _partial_windows(mels)
        with self._torch.inference_mode():
            batch = self._torch.from_numpy(np.stack(partials))
            _, (hidden, _) = self._lstm(batch)
            raw = self._torch.relu(self._linear(hidden[-1]))
            partial = raw / self._torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)
            mean = partial.mean(dim=0)
        result: np.ndarray = (mean / mean.norm().clamp_min(1e-9)).numpy()
        return result

    def _mel(self, audio: np.ndarray) -> np.ndarray:
        """Power mel spectrogram, frames x bands (centered frames, as librosa computes them)."""
        import numpy as np

        padded = np.pad(audio.astype(np.float32), WINDOW // 2)
        count = 1 + max(0, len(padded) - WINDOW) // HOP
        index = np.arange(WINDOW)[None, :] + HOP * np.arange(count)[:, None]
        frames = padded[index] * np.hanning(WINDOW + 1)[:-1].astype(np.float32)
        power = np.abs(np.fft.rfft(frames, n=WINDOW, axis=1)) ** 2
        mels: np.ndarray = (power @ self._filters.T).astype(np.float32)
        return mels


def _prefixed(weights: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}


def _mel_filters() -> np.ndarray:
    """Slaney-style mel filterbank (40 bands, 0-8 kHz, area-normalized), bands x bins."""
    import numpy as np

    def to_mel(hz: np.ndarray) -> np.ndarray:
        linear = hz / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log, linear)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        linear = mel * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log, linear)

    bins = np.linspace(0, SAMPLE_RATE / 2, WINDOW // 2 + 1)
    edges = to_hz(
        np.linspace(to_mel(np.array(0.0)), to_mel(np.array(SAMPLE_RATE / 2.0)), MEL_BANDS + 2)
    )
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def _raise_volume(audio: np.ndarray) -> np.ndarray:
    import numpy as np

    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    if rms <= 0:
        return audio
    change = TARGET_DBFS - 20 * np.log10(rms)
    return audio * np.float32(10 ** (change / 20)) if change > 0 else audio


def _partial_windows(mels: np.ndarray) -> list[np.ndarray]:
    """1.6 s windows back to back; a last window less than 75% covered is dropped."""
    import numpy as np

    count = len(mels)
    starts = list(range(0, max(1, count - PARTIAL_FRAMES + PARTIAL_STEP + 1), PARTIAL_STEP))
    if len(starts) > 1 and (count - starts[-1]) / PARTIAL_FRAMES < MIN_COVERAGE:
        starts.pop()
    padded = np.pad(mels, ((0, max(0, starts[-1] + PARTIAL_FRAMES - count)), (0, 0)))
    return [padded[s : s + PARTIAL_FRAMES] for s in starts]


def main_speaker_similarity(embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to the main speaker of the set.

    The main speaker is the centroid of the clips most like the plain centroid (its upper
    half), so a minority voice (an interviewer, crosstalk) barely moves it.
    """
    import numpy as np

    if len(embeddings) == 0:
        return np.zeros(0, dtype=np.float32)
    centroid = embeddings.mean(axis=0)
    for _ in range(2):
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        similarity = embeddings @ centroid
        core = embeddings[similarity >= np.median(similarity)]
        centroid = core.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    result: np.ndarray = embeddings @ centroid
    return result
