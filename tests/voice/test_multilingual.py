"""The multilingual code path with a tiny random multilingual Whisper converted at test time.

The model (tests/voice/multilingual_model.py) loads as multilingual in CTranslate2, detects
every clip as German and writes one planted sentence (then random tokens) for any speech, so
the tests check the code path (detected language in the outputs, ``--language`` forcing and
its wrong_language rejects, English-only checks off), never the words.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import run_main
from tests.voice.conftest import VOICE
from tests.voice.multilingual_model import DETECTED, build_multilingual_model

pytestmark = [pytest.mark.model]

GERMAN = VOICE / "languages" / "de-f3.opus"

#: Let every clip of the random model through the quality filters, so that the language rule
#: (applied after them) sees every clip.
LENIENT = (
    "--set", "filter_clips.min_avg_logprob=-1000",
    "--set", "filter_clips.max_no_speech_prob=1",
    "--set", "filter_clips.max_compression_ratio=1000",
    "--set", "filter_clips.min_chars_per_second=0",
    "--set", "filter_clips.max_chars_per_second=1000000",
    "--set", "check_speaker.enabled=false",
)  # fmt: skip


@pytest.fixture(scope="session")
def multilingual_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    pytest.importorskip("faster_whisper")
    return build_multilingual_model(tmp_path_factory.mktemp("multilingual_whisper"))


@pytest.fixture(scope="module")
def german_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("german") / "in"
    folder.mkdir()
    shutil.copy(GERMAN, folder)
    return folder


def run_cli(tmp_path: Path, folder: Path, model: Path, *extra: str) -> tuple[list, list]:
    """(clips.jsonl rows, rejects rows) of one ``dataprep voice`` run."""
    out, rejects = tmp_path / "out", tmp_path / "rejects.jsonl"
    code, _, err = run_main(
        "voice", folder, "--out", out, "--model", model, "--format", "nemo",
        "--rejects", rejects, "-q", *extra,
    )  # fmt: skip
    assert code == 0, err
    clips = out / "clips.jsonl"
    kept = [json.loads(line) for line in clips.read_text().splitlines()] if clips.exists() else []
    dropped = [json.loads(line) for line in rejects.read_text().splitlines()] if rejects.exists() else []  # fmt: skip
    return kept, dropped


def test_the_random_model_loads_as_multilingual(multilingual_model: Path) -> None:
    from faster_whisper import WhisperModel

    from dataprep.voice.transcribe import WhisperTranscriber, resolve_model

    vocabulary = next(multilingual_model.glob("vocabulary.*"))
    if vocabulary.suffix == ".json":
        size = len(json.loads(vocabulary.read_text(encoding="utf-8")))
    else:
        size = len(vocabulary.read_text(encoding="utf-8").splitlines())
    assert size == 51865  # tiny.en: 51,864, English-only
    assert WhisperModel(str(multilingual_model)).model.is_multilingual
    assert resolve_model(str(multilingual_model)) == str(multilingual_model)
    transcriber = WhisperTranscriber(str(multilingual_model))
    assert transcriber.multilingual
    # An English-only model refuses another language; a multilingual one takes it.
    assert WhisperTranscriber(str(multilingual_model), language="fr").language == "fr"


def test_the_transcriber_detects_the_language_of_each_chunk(multilingual_model: Path) -> None:
    from dataprep.voice.audio import decode_resampled
    from dataprep.voice.transcribe import WhisperTranscriber

    audio = decode_resampled(GERMAN, 16000)
    clips = [audio[: len(audio) // 2], audio[len(audio) // 2 :]]
    transcriber = WhisperTranscriber(str(multilingual_model), beam_size=1)
    calls = []
    detect = transcriber._model.detect_language
    transcriber._model.detect_language = lambda audio, **kw: calls.append(1) or detect(audio, **kw)
    results = transcriber.transcribe(clips)
    assert calls, "detect_language was not called"
    assert [r.language for r in results] == [DETECTED, DETECTED]
    assert all(0 < r.language_probability <= 1 for r in results)


def test_the_detected_language_lands_in_clips_jsonl(
    tmp_path: Path, multilingual_model: Path, german_folder: Path
) -> None:
    kept, dropped = run_cli(tmp_path, german_folder, multilingual_model, *LENIENT)
    assert kept, dropped
    assert {r["language"] for r in kept} == {DETECTED}
    assert not [r for r in dropped if r["reason"] == "wrong_language"]


def test_the_english_only_checks_are_off_with_a_multilingual_model(
    tmp_path: Path, multilingual_model: Path, german_folder: Path
) -> None:
    """Default filters: clips pass or fail the quality filters (the planted sentence split
    over clips makes some too slow), but never the English-only language check, which
    rejects this German file under tiny.en."""
    kept, dropped = run_cli(tmp_path, german_folder, multilingual_model)
    judged = kept + [r for r in dropped if r["stage"] == "filter_clips"]
    assert judged  # measured: 2 clips kept, 2 rejected as chars_per_second
    assert {r["language"] for r in judged} == {DETECTED}
    assert not any(r["english_only_model"] for r in judged)
    assert "wrong_language" not in {r["reason"] for r in dropped}


def test_a_forced_language_keeps_clips_detected_in_it(
    tmp_path: Path, multilingual_model: Path, german_folder: Path
) -> None:
    kept, dropped = run_cli(
        tmp_path, german_folder, multilingual_model, "--language", "de", *LENIENT
    )
    assert kept and {r["language"] for r in kept} == {"de"}
    assert "wrong_language" not in {r["reason"] for r in dropped}


def test_a_forced_language_rejects_clips_detected_in_another(
    tmp_path: Path, multilingual_model: Path, german_folder: Path
) -> None:
    kept, dropped = run_cli(
        tmp_path, german_folder, multilingual_model, "--language", "fr", *LENIENT
    )
    filtered = [r for r in dropped if r["stage"] == "filter_clips"]
    assert not kept
    assert filtered and {r["reason"] for r in filtered} == {"wrong_language"}
    assert {r["language"] for r in filtered} == {DETECTED}
