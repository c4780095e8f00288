"""Cutting clips out of a stream of audio blocks and writing them as 16-bit WAV.

The source is decoded a second time at the output rate and cut on the fly, so only one
clip is ever held in memory, whatever the length of the recording.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dataprep.deps import require

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FADE_SECONDS", "clip_name", "cut_spans", "fade_edges", "sample_spans", "write_wav"]

#: Length of the fade at a cut inside a file: long enough to remove the click of a cut in
#: non-zero audio, short enough (5 ms) to leave a consonant's onset intact.
FADE_SECONDS = 0.005


def clip_name(relpath: str, start: float, end: float) -> str:
    """A unique, stable clip file name: source stem, a hash of its path, start and end in ms.

    GPT-SoVITS keys its features by basename, so two ``take1.wav`` in different folders
    must not give the same clip names.
    """
    from dataprep.voice.writers import safe_name

    stem = safe_name(Path(relpath).stem)[:48]
    tag = hashlib.sha1(relpath.encode("utf-8")).hexdigest()[:6]
    return f"{stem}-{tag}-{round(start * 1000):08d}-{round(end * 1000):08d}.wav"


def sample_spans(spans: Iterable[tuple[float, float]], rate: int) -> list[tuple[int, int]]:
    """Second spans as sample index spans [start, end) at ``rate``."""
    return [(round(start * rate), round(end * rate)) for start, end in spans]


def cut_spans(
    blocks: Iterable[np.ndarray], spans: list[tuple[int, int]]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, samples)`` for sorted, non-overlapping sample ``spans`` of a block stream.

    A span running past the end of the audio is cut short at the end.
    """
    import numpy as np

    index = 0
    offset = 0
    pieces: list[np.ndarray] = []
    for block in blocks:
        block_start, block_end = offset, offset + len(block)
        offset = block_end
        while index < len(spans):
            start, end = spans[index]
            if start >= block_end:
                break
            low, high = max(start, block_start), min(end, block_end)
            if high > low:
                pieces.append(block[low - block_start : high - block_start])
            if end > block_end:
                break
            yield index, _join(pieces)
            pieces = []
            index += 1
    while index < len(spans):
        yield index, _join(pieces) if pieces else np.zeros(0, dtype=np.float32)
        pieces = []
        index += 1


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    import numpy as np

    if len(pieces) == 1:
        return pieces[0].copy()
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def fade_edges(samples: np.ndarray, rate: int, *, fade_in: bool, fade_out: bool) -> np.ndarray:
    """Raised-cosine fades of ``FADE_SECONDS`` at the ends that are cuts (a copy)."""
    import numpy as np

    length = min(round(FADE_SECONDS * rate), len(samples) // 2)
    out = np.array(samples, dtype=np.float32, copy=True)
    if length < 2:
        return out
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length))).astype(np.float32)
    if fade_in:
        out[:length] *= ramp
    if fade_out:
        out[-length:] *= ramp[::-1]
    return out


def write_wav(handle: IO[Any], samples: np.ndarray, rate: int) -> None:
    """16-bit PCM mono WAV, what every TTS trainer reads."""
    soundfile = require("soundfile", extra="voice")
    soundfile.write(handle, samples, rate, subtype="PCM_16", format="WAV")
