"""Finding, decoding and resampling audio files in bounded memory.

Files are read block by block (soundfile, or PyAV for what libsndfile cannot read), mixed
to mono and resampled with soxr's streaming resampler, so an hour-long file never has to
sit in memory at its original rate. numpy, soundfile, soxr and av are imported lazily.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataprep.deps import require
from dataprep.errors import InputError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioInfo",
    "decode_resampled",
    "discover_audio",
    "discover_files",
    "file_digest",
    "iter_resampled",
    "probe",
]

AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".m4a",
    ".aac",
    ".aif",
    ".aiff",
    ".webm",
    ".mka",
    ".mp4",
    ".mov",
    ".mkv",
)

#: Compressed formats and video containers go straight to PyAV: libsndfile's mpg123 prints
#: notes to stderr on damaged MP3 data, cannot open MP4/WebM containers at all, and PyAV
#: (FFmpeg) stays silent and reads more variants (it takes a video file's first audio track).
_AV_FIRST = (".mp3", ".m4a", ".aac", ".webm", ".mka", ".mp4", ".mov", ".mkv")

#: Seconds of audio decoded per block: big enough to keep Python overhead low, small
#: enough that a block of 8-channel 96 kHz float audio stays under ~25 MB.
BLOCK_SECONDS = 8.0


@dataclass(frozen=True)
class AudioInfo:
    """What a file says about itself before decoding."""

    sample_rate: int
    channels: int
    frames: int | None
    subtype: str
    backend: str

    @property
    def seconds(self) -> float | None:
        return None if self.frames is None else self.frames / self.sample_rate


def discover_audio(root: Path) -> list[Path]:
    """Audio files under ``root`` (recursively, sorted), or ``root`` itself if it is a file."""
    return discover_files(root)[0]


def discover_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Audio files and other (unsupported) files under ``root``, both sorted.

    Hidden files and folders (a cache, ``.DS_Store``) are neither. A file passed directly
    is always tried as audio: the decoder, not its name, decides.
    """
    if not root.exists():
        raise InputError("no such file or directory", path=root)
    if root.is_file():
        return [root], []
    audio: list[Path] = []
    other: list[Path] = []
    for path in root.rglob("*"):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        (audio if path.suffix.lower() in AUDIO_EXTENSIONS else other).append(path)
    return sorted(audio), sorted(other)


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes: the cache key of everything derived from it."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_readable(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read ({error.strerror})", path=path) from None
    if size == 0:
        raise InputError("empty file (0 bytes)", path=path)


def probe(path: Path) -> AudioInfo:
    """Sample rate, channels and length, trying soundfile first and PyAV second."""
    _check_readable(path)
    if path.suffix.lower() in _AV_FIRST:
        return _probe_av(path)
    soundfile = require("soundfile", extra="voice")
    try:
        info = soundfile.info(str(path))
        if info.frames > 0 and info.samplerate > 0:
            return AudioInfo(info.samplerate, info.channels, info.frames, info.subtype, "soundfile")
    except (RuntimeError, soundfile.LibsndfileError):
        pass
    return _probe_av(path)


def _probe_av(path: Path) -> AudioInfo:
    av = require("av", extra="voice")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError("no audio stream", path=path)
            stream = container.streams.audio[0]
            if not stream.codec_context.sample_rate or stream.codec_context.sample_rate <= 0:
                raise InputError("the audio stream has no sample rate", path=path)
            frames = None
            if stream.duration is not None and stream.time_base is not None:
                frames = int(stream.duration * stream.time_base * stream.codec_context.sample_rate)
            return AudioInfo(
                stream.codec_context.sample_rate,
                stream.codec_context.channels,
                frames,
                stream.codec_context.format.name if stream.codec_context.format else "unknown",
                "av",
            )
    except InputError:
        raise
    except Exception as error:  # PyAV raises many FFmpeg error classes
        raise InputError(
            f"not a readable audio file ({type(error).__name__})",
            path=path,
            hint="Supported: " + ", ".join(AUDIO_EXTENSIONS),
        ) from None


def _blocks_soundfile(path: Path, info: AudioInfo) -> Iterator[np.ndarray]:
    import numpy as np

    soundfile = require("soundfile", extra="voice")
    block = max(1, int(BLOCK_SECONDS * info.sample_rate))
    with soundfile.SoundFile(str(path)) as handle:
        while True:
            data = handle.read(block, dtype="float32", always_2d=True)
            if not len(data):
                return
            yield np.ascontiguousarray(data.mean(axis=1, dtype=np.float32))


def _blocks_av(path: Path, info: AudioInfo) -> Iterator[np.ndarray]:
    import numpy as np

    av = require("av", extra="voice")
    # FFmpeg's resampler only converts the layout and sample format here (same rate).
    converter = av.AudioResampler(format="flt", layout="mono", rate=info.sample_rate)
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in converter.resample(frame):
                yield np.ascontiguousarray(out.to_ndarray().reshape(-1), dtype=np.float32)
        for out in converter.resample(None):
            yield np.ascontiguousarray(out.to_ndarray().reshape(-1), dtype=np.float32)


def iter_resampled(path: Path, rate: int, info: AudioInfo | None = None) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` at ``rate`` Hz, resampled with soxr (band-limited)."""
    import numpy as np

    soxr = require("soxr", extra="voice")
    info = info or probe(path)
    blocks = (
        _blocks_soundfile(path, info) if info.backend == "soundfile" else _blocks_av(path, info)
    )
    stream: Any = None
    try:
        if info.sample_rate != rate:
            stream = soxr.ResampleStream(info.sample_rate, rate, 1, dtype="float32", quality="HQ")
        for block in blocks:
            if stream is None:
                yield block
                continue
            out = stream.resample_chunk(block, last=False)
            if len(out):
                yield out
        if stream is not None:
            tail = stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            if len(tail):
                yield tail
    except InputError:
        raise
    except Exception as error:  # a file that probes but breaks mid-way (truncated, corrupt)
        raise InputError(
            f"cannot decode audio ({type(error).__name__}: {error})", path=path
        ) from None


def decode_resampled(path: Path, rate: int, info: AudioInfo | None = None) -> np.ndarray:
    """The whole file as one mono float32 array at ``rate`` (used at 16 kHz for VAD and ASR)."""
    import numpy as np

    parts = list(iter_resampled(path, rate, info))
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts)
