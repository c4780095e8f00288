"""Decoding every supported container, mixing to mono and resampling without dropping samples."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from tests.voice.conftest import NARRATION, SPEAKERS

from dataprep.errors import InputError
from dataprep.voice.audio import decode_resampled, discover_audio, iter_resampled, probe


def encode_with_av(samples: np.ndarray, rate: int, path: Path, codec: str) -> None:
    """Write mono float samples with PyAV (m4a/aac, ogg/vorbis) for formats sox did not make."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        frame_size = 1024
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        for start in range(0, len(pcm), frame_size):
            frame = av.AudioFrame.from_ndarray(
                pcm[None, start : start + frame_size], format="s16", layout="mono"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize(
    ("relpath", "rate", "channels", "backend"),
    [
        ("colin/narration.wav", 16000, 1, "soundfile"),
        ("anna/stereo_44k.flac", 44100, 2, "soundfile"),
        ("anna/umbrella.mp3", 22050, 1, "av"),
    ],
    ids=["wav-16k-mono", "flac-44k-stereo", "mp3-22k"],
)
def test_fixtures_probe_and_decode_to_16k_mono(
    relpath: str, rate: int, channels: int, backend: str
) -> None:
    path = SPEAKERS / relpath
    info = probe(path)
    assert (info.sample_rate, info.channels, info.backend) == (rate, channels, backend)
    audio = decode_resampled(path, 16000, info)
    assert audio.dtype == np.float32 and audio.ndim == 1
    expected = info.frames * 16000 / rate if info.frames else None
    if expected is not None and backend == "soundfile":
        assert abs(len(audio) - expected) <= 2
    assert 0.05 < float(np.abs(audio).max()) <= 1.0


@pytest.mark.parametrize("suffix", [".m4a", ".ogg"], ids=["m4a-aac", "ogg-vorbis"])
def test_compressed_containers_decode(tmp_path: Path, narration: tuple, suffix: str) -> None:
    samples, rate = narration
    path = tmp_path / f"speech{suffix}"
    if suffix == ".m4a":
        encode_with_av(samples, rate, path, "aac")
    else:
        sf.write(path, samples, rate, format="OGG", subtype="VORBIS")
    audio = decode_resampled(path, 16000)
    # AAC pads the last 1024-sample frame and adds encoder priming: a little over 0.1 s.
    assert abs(len(audio) - len(samples)) < 0.2 * rate
    assert float(np.abs(audio).max()) > 0.05


@pytest.mark.parametrize(
    ("subtype", "rate"),
    [("PCM_24", 16000), ("FLOAT", 16000), ("PCM_U8", 8000), ("PCM_32", 48000)],
    ids=["24-bit", "float32", "8-bit-telephone-8k", "32-bit-48k"],
)
def test_bit_depths_and_rates_decode_to_the_same_speech(
    tmp_path: Path, narration: tuple, subtype: str, rate: int
) -> None:
    import soxr

    samples, source_rate = narration
    converted = soxr.resample(samples, source_rate, rate) if rate != source_rate else samples
    path = tmp_path / f"speech_{subtype}.wav"
    sf.write(path, converted, rate, subtype=subtype)
    audio = decode_resampled(path, 16000)
    assert abs(len(audio) - len(samples)) <= 2
    if rate >= 16000:
        # Same signal back up to quantization noise: nothing dropped or shifted.
        error = np.sqrt(np.mean((audio - samples) ** 2)) / np.sqrt(np.mean(samples**2))
        assert error < 0.02


def test_resampling_is_band_limited_not_sample_dropping() -> None:
    # A 5 kHz tone at 44.1 kHz must stay a 5 kHz tone at 32 kHz, and a 10 kHz tone (above the
    # new 8 kHz Nyquist of 16 kHz output) must vanish instead of aliasing down to 6 kHz.
    rate = 44100
    t = np.arange(rate * 2) / rate
    for tone, expect_energy in ((5000, True), (10000, False)):
        signal = (0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"dataprep-tone-{os.getpid()}-{tone}.wav"
        sf.write(path, signal, rate)
        try:
            out = decode_resampled(path, 16000)
        finally:
            path.unlink()
        rms = float(np.sqrt(np.mean(out[1000:-1000] ** 2)))
        assert (rms > 0.3) == expect_energy, (tone, rms)


def test_blocks_stream_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(44100 * 30, dtype=np.float32), 44100)
    sizes = [len(block) for block in iter_resampled(path, 32000)]
    assert len(sizes) > 3 and max(sizes) <= 32000 * 9
    assert abs(sum(sizes) - 32000 * 30) <= 2


def test_discovery_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.WAV", "a.flac", "b/notes.txt", ".hidden.wav", "c.m4a"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in discover_audio(tmp_path)] == [
        "a.flac",
        "b/2.WAV",
        "c.m4a",
    ]
    assert discover_audio(NARRATION) == [NARRATION]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("zero.wav", b"", "empty file"),
        ("notes.wav", b"this is a text file, not audio\n" * 10, "not a readable audio file"),
        ("noise.mp3", bytes(range(256)) * 20, "not a readable audio file"),
    ],
    ids=["zero-length", "text-named-wav", "corrupt-mp3"],
)
def test_unreadable_files_raise_one_clear_input_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        decode_resampled(path, 16000)
    assert name in str(caught.value) and "\n" not in str(caught.value)


def test_a_truncated_wav_decodes_what_is_there(tmp_path: Path) -> None:
    data = NARRATION.read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 2])
    audio = decode_resampled(path, 16000)
    assert 0 < len(audio) <= (len(data) // 2) // 2
