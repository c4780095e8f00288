"""Clip level checks (clipping, silence) and loudness normalization (peak or LUFS).

LUFS is ITU-R BS.1770 integrated loudness from pyloudnorm. After LUFS gain the peak is
limited to ``peak_dbfs`` by lowering the gain, never by clipping, as fish-audio-preprocess
does (peak -1 dB, then -23 LUFS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from dataprep.deps import require

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ClipLevels", "estimate_snr_db", "measure", "normalize"]

Mode = Literal["peak", "lufs", "none"]

#: A sample at or above this magnitude counts as clipped (int16 full scale is 32767/32768).
CLIP_LEVEL = 0.999
#: pyloudnorm's gating needs at least one 400 ms block.
MIN_LUFS_SECONDS = 0.4


@dataclass(frozen=True)
class ClipLevels:
    """Levels of a clip as cut from the source, before any gain."""

    peak_dbfs: float
    rms_dbfs: float
    clipped_ratio: float


#: Floor of reported levels: digital silence is -120 dBFS, not -inf (which JSON cannot hold).
FLOOR_DBFS = -120.0


def _dbfs(value: float) -> float:
    return max(20 * math.log10(value), FLOOR_DBFS) if value > 0 else FLOOR_DBFS


def measure(samples: np.ndarray) -> ClipLevels:
    """Peak and RMS level in dBFS and the share of samples at full scale."""
    import numpy as np

    if not len(samples):
        return ClipLevels(FLOOR_DBFS, FLOOR_DBFS, 0.0)
    magnitude = np.abs(samples)
    peak = float(magnitude.max())
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    clipped = float(np.count_nonzero(magnitude >= CLIP_LEVEL)) / len(samples)
    return ClipLevels(_dbfs(peak), _dbfs(rms), clipped)


def normalize(
    samples: np.ndarray, rate: int, mode: Mode, *, peak_dbfs: float = -1.0, lufs: float = -23.0
) -> np.ndarray:
    """Gain ``samples`` to the target; silence and too-short clips for LUFS fall back to peak."""
    import numpy as np

    if mode == "none" or not len(samples):
        return samples
    peak = float(np.abs(samples).max())
    if peak <= 0:
        return samples
    peak_gain = 10 ** (peak_dbfs / 20) / peak
    gain = peak_gain
    if mode == "lufs" and len(samples) >= MIN_LUFS_SECONDS * rate:
        pyloudnorm = require("pyloudnorm", extra="voice")
        loudness = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
        if math.isfinite(loudness):
            gain = min(10 ** ((lufs - loudness) / 20), peak_gain)
    return (samples * np.float32(gain)).astype(np.float32)


#: Frame of the SNR estimate (20 ms) and the ceiling reported for digital silence between words.
SNR_FRAME_SECONDS = 0.02
MAX_SNR_DB = 100.0


def estimate_snr_db(samples: np.ndarray, rate: int) -> float:
    """Signal-to-noise ratio of a clip in dB, from the spread of its 20 ms frame energies.

    The quietest 10% of frames (the pauses a clip of speech always has: its padding, the
    gaps between words) measure the noise floor, the loudest 10% the speech; steady noise
    or music under the voice lifts the floor. Capped at ``MAX_SNR_DB`` (digital silence).
    """
    import numpy as np

    frame = max(1, round(SNR_FRAME_SECONDS * rate))
    count = len(samples) // frame
    if count < 10:
        return MAX_SNR_DB
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame)
    energy = np.mean(np.square(frames), axis=1)
    ordered = np.sort(energy)
    tenth = max(1, count // 10)
    noise = float(np.mean(ordered[:tenth]))
    speech = float(np.mean(ordered[-tenth:]))
    if speech <= 0:
        return 0.0
    if noise <= speech * 10 ** (-MAX_SNR_DB / 10):
        return MAX_SNR_DB
    return float(10 * math.log10(speech / noise))
