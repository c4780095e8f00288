"""Every input is processed or a counted reject: containers, duplicates, stereo channels."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tests.voice.conftest import NARRATION, SPEAKERS, VOICE
from tests.voice.test_pipeline import ScriptedTranscriber, run_voice

from dataprep.voice.audio import decode_resampled, probe
from dataprep.voice.fingerprint import channel_correlation, fingerprint, same_recording

REAL = VOICE / "real"
FFMPEG_ARGS = {
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "mp3": ["-c:a", "libmp3lame"],
    "m4a": ["-c:a", "aac"],
    "aiff": ["-c:a", "pcm_s16be"],
    "webm": ["-c:a", "libopus"],
    "mp4": ["-c:a", "aac"],
    "mov": ["-c:a", "aac"],
    "flac": ["-c:a", "flac"],
}


def convert(source: Path, target: Path) -> Path:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "the voice tests need ffmpeg (.ci/apt-packages installs it)"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-i", str(source)]
        + FFMPEG_ARGS[target.suffix[1:]]
        + [str(target)],
        check=True,
    )
    return target


@pytest.mark.parametrize("suffix", sorted(FFMPEG_ARGS))
def test_every_container_decodes_to_the_same_length(tmp_path: Path, suffix: str) -> None:
    path = convert(NARRATION, tmp_path / f"narration.{suffix}")
    audio = decode_resampled(path, 16000)
    expected = sf.info(str(NARRATION)).duration
    # Lossy codecs add priming samples (Opus, AAC: up to ~50 ms).
    assert abs(len(audio) / 16000 - expected) < 0.1
    assert float(np.sqrt(np.mean(audio**2))) > 0.01


def test_a_video_file_contributes_its_audio_track(tmp_path: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg
    video = tmp_path / "talk.mp4"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=13.5",
         "-i", str(NARRATION), "-shortest", "-c:v", "mpeg4", "-c:a", "aac", str(video)],
        check=True,
    )  # fmt: skip
    assert probe(video).backend == "av"
    assert abs(len(decode_resampled(video, 16000)) / 16000 - 13.5) < 0.2


def test_unknown_files_are_counted_unsupported_and_audio_is_processed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    convert(NARRATION, folder / "narration.aiff")
    (folder / "notes.txt").write_text("a transcript someone left here\n")
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".DS_Store").write_bytes(b"\0")
    result = run_voice([folder], tmp_path / "out", ScriptedTranscriber(), rejects=tmp_path / "r")
    assert result.report["stages"]["audio_files"]["rejected"] == {"unsupported_format": 2}
    assert result.report["stages"]["write_lists"]["rows_in"] == 3  # the narration's sentences
    assert any("not a supported audio format" in w for w in result.report["warnings"])


def _fingerprint(path: Path) -> tuple:
    return fingerprint(decode_resampled(path, 16000), 16000)


def test_the_same_real_recording_as_flac_and_mp3_is_one_recording() -> None:
    flac = _fingerprint(REAL / "ljspeech" / "LJ001-0001.flac")
    mp3 = _fingerprint(REAL / "other" / "LJ001-0001-copy.mp3")
    assert same_recording(flac, mp3)
    other = _fingerprint(REAL / "ljspeech" / "LJ001-0003.opus")
    assert not same_recording(flac, other)


def test_the_same_sentence_spoken_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    audio, rate = sf.read(NARRATION, dtype="float32")
    slower = np.repeat(audio, 2)[: len(audio)]  # another take: other timing, same length
    sf.write(tmp_path / "a.wav", audio, rate)
    sf.write(tmp_path / "b.wav", slower, rate)
    assert not same_recording(_fingerprint(tmp_path / "a.wav"), _fingerprint(tmp_path / "b.wav"))


def test_duplicates_in_another_format_and_folder_are_counted_rejects(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    shutil.copy(NARRATION, folder / "a" / "take.wav")
    convert(NARRATION, folder / "b" / "take.m4a")
    sf.write(folder / "b" / "louder.flac", sf.read(NARRATION)[0] * 1.5, 16000)
    result = run_voice([folder], tmp_path / "out", ScriptedTranscriber(), rejects=tmp_path / "r")
    assert result.report["stages"]["detect_speech"]["rejected"] == {"duplicate_audio": 2}
    assert len(list((tmp_path / "out" / "wavs").glob("*.wav"))) == 3


def test_stereo_with_one_voice_per_channel_is_detected() -> None:
    two = REAL / "other" / "stereo_diarization.wav"
    one = SPEAKERS / "anna" / "stereo_44k.flac"
    different = channel_correlation(two, probe(two))
    same = channel_correlation(one, probe(one))
    assert different is not None and different < 0.5
    assert same is not None and same > 0.9
    assert channel_correlation(NARRATION, probe(NARRATION)) is None


def test_a_run_warns_about_a_stereo_file_with_two_voices(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    left, rate = sf.read(NARRATION, dtype="float32")
    right, _ = sf.read(SPEAKERS / "ben" / "window.wav", dtype="float32")
    n = max(len(left), len(right))
    stereo = np.zeros((n, 2), dtype=np.float32)
    stereo[: len(left), 0] = left
    stereo[: len(right), 1] = right
    sf.write(folder / "interview.wav", stereo, rate)
    result = run_voice([folder], tmp_path / "out", ScriptedTranscriber())
    assert result.report["stages"]["detect_speech"]["notes"] == {"stereo_channels_differ": 1}
    assert any("different content on the left and right" in w for w in result.report["warnings"])
