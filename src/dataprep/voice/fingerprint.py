"""Audio fingerprints for duplicate recordings, and a check for stereo files whose channels
hold different content.

Both compare loudness envelopes (log energy per 50 ms frame), which survive what changes
the bytes of a recording without changing what it says: another container or codec (WAV
vs M4A vs MP3), another sample rate, a gain change, the encoder delay of a lossy codec
(absorbed by trying small shifts). Two different takes of the same sentence differ in
timing and do not match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataprep.deps import require

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from dataprep.voice.audio import AudioInfo

__all__ = [
    "DUPLICATE_CORRELATION",
    "Fingerprint",
    "channel_correlation",
    "envelope",
    "fingerprint",
    "same_recording",
]

FRAME_SECONDS = 0.05
#: Envelopes this correlated (Pearson, best of small shifts) are the same recording: measured
#: 0.9997 between the FLAC and MP3 copies of LJ001-0001, at most 0.73 between any two of
#: twelve different LJSpeech sentences (tests/voice/test_inputs.py).
DUPLICATE_CORRELATION = 0.97
#: Largest shift tried, in frames (150 ms: more than any codec's priming delay).
MAX_SHIFT_FRAMES = 3
#: Durations further apart than this are never the same recording (seconds).
DURATION_TOLERANCE = 0.5
#: Seconds of each channel compared by the stereo check.
STEREO_CHECK_SECONDS = 120.0

Fingerprint = tuple[float, list[float]]


def envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    """Log energy (dB) of each 50 ms frame, floored at -100 dB."""
    import numpy as np

    frame = max(1, round(FRAME_SECONDS * rate))
    count = len(samples) // frame
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame)
    energy = np.mean(np.square(frames), axis=1)
    return np.asarray(10 * np.log10(np.maximum(energy, 1e-10)), dtype=np.float32)


def fingerprint(samples: np.ndarray, rate: int) -> Fingerprint:
    """Duration and envelope of a decoded file (JSON-serializable, for the cache)."""
    return len(samples) / rate, [round(float(v), 2) for v in envelope(samples, rate)]


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    n = min(len(a), len(b))
    if n < 10:
        return 0.0
    a, b = a[:n], b[:n]
    if float(np.std(a)) == 0.0 or float(np.std(b)) == 0.0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _best_shifted_correlation(a: np.ndarray, b: np.ndarray) -> float:
    best = -1.0
    for shift in range(-MAX_SHIFT_FRAMES, MAX_SHIFT_FRAMES + 1):
        left, right = (a[shift:], b) if shift >= 0 else (a, b[-shift:])
        best = max(best, _correlation(left, right))
    return best


def same_recording(first: Fingerprint, second: Fingerprint) -> bool:
    """Whether two fingerprints are the same recording (see ``DUPLICATE_CORRELATION``)."""
    import numpy as np

    if abs(first[0] - second[0]) > DURATION_TOLERANCE:
        return False
    a = np.asarray(first[1], dtype=np.float32)
    b = np.asarray(second[1], dtype=np.float32)
    return _best_shifted_correlation(a, b) >= DUPLICATE_CORRELATION


def channel_correlation(path: Path, info: AudioInfo) -> float | None:
    """Correlation of the first two channels' envelopes over the file's first two minutes.

    Near 1 for one voice recorded on both channels (any level or pan); near 0 or below for
    two people on separate channels (an interview recorded left/right). None for mono.
    """
    import numpy as np

    if info.channels < 2:
        return None
    limit = int(STEREO_CHECK_SECONDS * info.sample_rate)
    channels = _read_channels(path, info, limit)
    if channels is None or channels.shape[0] < info.sample_rate:
        return None
    left = envelope(np.ascontiguousarray(channels[:, 0]), info.sample_rate)
    right = envelope(np.ascontiguousarray(channels[:, 1]), info.sample_rate)
    return _correlation(left, right)


def _read_channels(path: Path, info: AudioInfo, limit: int) -> np.ndarray | None:
    """Up to ``limit`` frames of every channel, frames x channels, float32."""
    import numpy as np

    if info.backend == "soundfile":
        soundfile = require("soundfile", extra="voice")
        data, _ = soundfile.read(str(path), frames=limit, dtype="float32", always_2d=True)
        return np.asarray(data)
    av = require("av", extra="voice")
    pieces: list[np.ndarray] = []
    total = 0
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=info.sample_rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                block = out.to_ndarray().reshape(-1, 2)
                pieces.append(block)
                total += len(block)
            if total >= limit:
                break
    return np.concatenate(pieces)[:limit] if pieces else None
