"""Real recordings through real models: onsets, a second speaker, noise, wrong language.

silero-vad, the resemblyzer voice encoder and faster-whisper tiny.en run for real on
committed speech (public-domain LJ Speech, permissively licensed recordings in 17 languages,
espeak-ng voices; see fixtures/voice/SOURCES.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tests.conftest import run_main
from tests.voice.conftest import NARRATION, VOICE
from tests.voice.test_pipeline import ScriptedTranscriber, run_voice

from dataprep.voice.loudness import estimate_snr_db
from dataprep.voice.vad import SileroVad

pytestmark = [pytest.mark.model, pytest.mark.slow]

REAL = VOICE / "real"


def run_cli(tmp_path: Path, *inputs: Path, extra: tuple[str, ...] = ()) -> tuple[Path, list[dict]]:
    out = tmp_path / "out"
    rejects = tmp_path / "rejects.jsonl"
    code, _, err = run_main("voice", *inputs, "--out", out, "--rejects", rejects, "-q", *extra)
    assert code == 0, err
    rows = (
        [json.loads(line) for line in rejects.read_text().splitlines()] if rejects.exists() else []
    )
    return out, rows


def clip_rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]


def test_a_pre_trimmed_recording_keeps_its_first_consonant(tmp_path: Path) -> None:
    """LJ001-0001 starts with the "P" of "Printing" at its very first samples."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(REAL / "ljspeech" / "LJ001-0001.flac", folder)
    out, _ = run_cli(tmp_path, folder)
    first = min(clip_rows(out), key=lambda r: r["start"])
    assert first["start"] == 0.0
    assert first["text"].lower().startswith("printing")
    source, rate = sf.read(REAL / "ljspeech" / "LJ001-0001.flac", dtype="float32")
    clip, clip_rate = sf.read(first["clip_path"], dtype="float32")
    # The clip holds the source's first 50 ms (the plosive), not silence in its place.
    head = int(0.05 * clip_rate)
    assert np.sqrt(np.mean(clip[:head] ** 2)) > 0.5 * np.sqrt(np.mean(clip**2)) * (
        np.sqrt(np.mean(source[: int(0.05 * rate)] ** 2)) / np.sqrt(np.mean(source**2))
    )


def test_pre_trimmed_synthetic_speech_starts_and_ends_at_the_file_edges(tmp_path: Path) -> None:
    audio, rate = sf.read(NARRATION, dtype="float32")
    voiced = np.flatnonzero(np.abs(audio) > 0.01)
    trimmed = audio[voiced[0] : voiced[-1] + 1]
    path = tmp_path / "in" / "trimmed.wav"
    path.parent.mkdir()
    sf.write(path, trimmed, rate)
    result = run_voice([path.parent], tmp_path / "out", ScriptedTranscriber(), detector=SileroVad())
    assert result.report["stages"]["detect_speech"]["rejected"] == {}
    rows = [
        json.loads(line) for line in (tmp_path / "out" / "clips.jsonl").read_text().splitlines()
    ]
    assert min(r["start"] for r in rows) == 0.0
    assert abs(max(r["end"] for r in rows) - len(trimmed) / rate) < 1e-6


def test_the_second_voice_of_an_interview_is_rejected(tmp_path: Path) -> None:
    out, rejects = run_cli(tmp_path, VOICE / "two_speakers")
    other = [r for r in rejects if r["reason"] == "other_speaker"]
    assert len(other) == 1
    kept = " ".join(r["text"] for r in clip_rows(out)).lower()
    assert "parents" not in kept and "committee" in kept and "final report" in kept


def test_noise_under_the_voice_is_rejected_as_low_snr(tmp_path: Path) -> None:
    audio, rate = sf.read(NARRATION, dtype="float32")
    noise = np.random.default_rng(0).normal(0, 1, len(audio)).astype(np.float32)
    speech_rms = float(np.sqrt(np.mean(audio[np.abs(audio) > 0.01] ** 2)))
    folder = tmp_path / "in"
    folder.mkdir()
    sf.write(folder / "noisy.wav", audio + noise * speech_rms * 10 ** (-8 / 20), rate)  # 8 dB
    sf.write(folder / "clean.wav", np.repeat(audio, 1)[::-1].copy(), rate)  # another recording
    result = run_voice(
        [folder], tmp_path / "out", ScriptedTranscriber(), detector=SileroVad(),
        check_speaker={"enabled": False},
    )  # fmt: skip
    assert result.report["stages"]["write_clips"]["rejected"] == {"low_snr": 3}
    assert result.report["stages"]["write_clips"]["rows_out"] == 3


def test_the_snr_estimate_tracks_added_noise() -> None:
    audio, rate = sf.read(NARRATION, dtype="float32")
    noise = np.random.default_rng(1).normal(0, 1, len(audio)).astype(np.float32)
    level = float(np.sqrt(np.mean(audio[np.abs(audio) > 0.01] ** 2)))
    estimates = [
        estimate_snr_db(audio + noise * level * 10 ** (-snr / 20), rate) for snr in (0, 10, 20, 30)
    ]
    assert estimates == sorted(estimates) and estimates[0] < 15 < estimates[-1]


@pytest.mark.parametrize("language", ["de", "fr", "es", "ru", "cmn", "ja"])
def test_non_english_speech_is_wrong_language_under_the_english_only_model(
    tmp_path: Path, language: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(VOICE / "languages" / f"{language}-m3.opus", folder)
    out, rejects = run_cli(tmp_path, folder, extra=("--format", "nemo"))
    filtered = [r for r in rejects if r["stage"] == "filter_clips"]
    # No clip of it is kept, and the language rule is what catches it. tiny.en decodes speech
    # it does not understand differently from run to run (int8, threads), so a clip it wrote
    # fluently enough can instead fall to another rule (low_logprob, repetition): seen once in
    # Japanese in CI. The reason of each clip is measured in bench_voice_language.py.
    assert any(r["reason"] == "wrong_language" for r in filtered)
    assert not (out / "clips.jsonl").exists() or not clip_rows(out)


def test_english_speech_is_kept_under_the_english_only_model(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("LJ001-0003.opus", "LJ001-0005.opus", "LJ001-0009.opus"):
        shutil.copy(REAL / "ljspeech" / name, folder)
    shutil.copy(VOICE / "languages" / "en-f3.opus", folder)
    _, rejects = run_cli(tmp_path, folder, extra=("--set", "check_speaker.enabled=false"))
    assert not [r for r in rejects if r["reason"] == "wrong_language"]


#: Real recordings outside real/languages/ that are not English (see fixtures/voice/SOURCES.md).
REAL_NOT_ENGLISH = {"cosyvoice_zero_shot_prompt", "cosyvoice_cross_lingual_prompt"}


def spoken_language(relpath: str, start: float) -> str:
    """The language of a clip of fixtures/voice/real: the name's prefix in languages/,
    multilingual.mp3 is English for 30 s then German, the CosyVoice prompts Chinese."""
    path = Path(relpath)
    if path.parent.name == "languages":
        return path.name.split("-", 1)[0]
    if path.stem == "multilingual":
        return "en" if start < 30.0 else "de"
    return "zh" if path.stem in REAL_NOT_ENGLISH else "en"


def test_real_recordings_meet_the_language_targets(tmp_path: Path) -> None:
    """Issue 13's targets on every real recording (17 languages, see SOURCES.md): English
    clips wrongly rejected <= 2 %, non-English clips rejected as wrong_language >= 90 %."""
    out, rejects = run_cli(tmp_path, REAL, extra=("--set", "check_speaker.enabled=false"))
    judged = [r for r in rejects if r["stage"] in {"filter_clips", "write_clips"}]
    outcomes = [(r["relpath"], r["start"], r["reason"]) for r in judged]
    outcomes += [(r["relpath"], r["start"], "kept") for r in clip_rows(out)]
    english = [
        reason for relpath, start, reason in outcomes if spoken_language(relpath, start) == "en"
    ]
    others = [
        reason for relpath, start, reason in outcomes if spoken_language(relpath, start) != "en"
    ]
    assert len(english) >= 60 and len(others) >= 30
    assert english.count("wrong_language") <= 0.02 * len(english)
    assert others.count("wrong_language") >= 0.9 * len(others)
