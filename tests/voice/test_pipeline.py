"""The voice pipeline's own logic (rejects, cache, atomic outputs, writers) with fake models.

The VAD fake scores frames by energy and the transcriber fake returns scripted transcripts,
so these tests pin the surrounding logic; tests/voice/test_voice_model.py runs the real
silero-vad and faster-whisper through the same pipeline.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.conftest import run_main
from tests.voice.conftest import NARRATION, SPEAKERS

from dataprep.context import RunContext
from dataprep.progress import RecordingProgress
from dataprep.recipe import load_recipe
from dataprep.records.voice import GptSovitsRow
from dataprep.runner import RunResult, build_stages, run_recipe
from dataprep.voice.transcribe import ClipTranscript
from dataprep.voice.writers import clean_text

GOOD = ClipTranscript("A fine sentence spoken clearly.", "en", 1.0, -0.2, 0.01, 1.1)


class EnergyVad:
    """Frames louder than -40 dBFS are speech: exact on the fixtures' digital-silence pauses."""

    calls = 0

    def speech_probabilities(self, audio: np.ndarray) -> np.ndarray:
        EnergyVad.calls += 1
        frames = audio[: len(audio) // 512 * 512].reshape(-1, 512)
        rms = np.sqrt(np.mean(frames**2, axis=1))
        return np.where(rms > 0.01, 0.95, 0.02).astype(np.float32)


class ScriptedTranscriber:
    """Returns ``script[i]`` for the i-th clip it is asked about (cycling), counting calls."""

    identity = "scripted"

    def __init__(
        self, script: Sequence[ClipTranscript] = (GOOD,), fail_on_call: int | None = None
    ) -> None:
        self.script = list(script)
        self.clips_seen = 0
        self.calls = 0
        self.fail_on_call = fail_on_call

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[ClipTranscript]:
        self.calls += 1
        if self.fail_on_call == self.calls:
            raise RuntimeError("transcriber crashed")
        out = []
        for clip in clips:
            assert clip.dtype == np.float32 and len(clip) > 16000
            out.append(self.script[self.clips_seen % len(self.script)])
            self.clips_seen += 1
        return out


def run_voice(
    inputs: list[Path],
    out: Path,
    transcriber: ScriptedTranscriber,
    *,
    cache: bool = True,
    rejects: Path | None = None,
    detector: object | None = None,
    **params: dict,
) -> RunResult:
    recipe = load_recipe("voice")
    for stage, values in params.items():
        recipe = recipe.with_params(stage, **values)
    stages = build_stages(recipe)
    for _, stage in stages:
        if stage.name == "detect_speech":
            stage.detector = detector or EnergyVad()  # type: ignore[attr-defined]
        if stage.name == "transcribe":
            stage.transcriber = transcriber  # type: ignore[attr-defined]
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    ctx = RunContext(
        inputs=inputs,
        output=out,
        cache_dir=out / ".dataprep-cache" if cache else None,
        rejects_path=rejects,
        progress=RecordingProgress(),
    )
    return run_recipe(recipe, ctx, report_path=out / "report.json", stages=stages)


def listed(out: Path) -> list[list[str]]:
    return [
        line.split("|")
        for path in sorted(out.glob("gpt_sovits/*.list"))
        for line in path.read_text().splitlines()
    ]


def test_every_filter_reason_is_counted_and_kept_rows_reach_every_format(tmp_path: Path) -> None:
    script = [
        GOOD,
        ClipTranscript("   ", "en", 1.0, -0.3, 0.02, 1.0),
        ClipTranscript("Silence, really.", "en", 1.0, -1.3, 0.95, 1.2),
        ClipTranscript("Mumbled guess here.", "en", 1.0, -1.7, 0.1, 1.2),
        ClipTranscript("Confident speech, odd window.", "en", 1.0, -0.3, 0.9, 1.2),
        ClipTranscript(
            "the the the the the the the the the the the the", "en", 1.0, -0.1, 0.0, 3.9
        ),
        ClipTranscript("Hi.", "en", 1.0, -0.1, 0.0, 1.0),
        ClipTranscript("Ein ganz normaler Satz auf Deutsch.", "de", 0.97, -0.2, 0.0, 1.1),
    ]
    out = tmp_path / "out"
    rejects = tmp_path / "rejects.jsonl"
    result = run_voice(
        [SPEAKERS],
        out,
        ScriptedTranscriber(script),
        rejects=rejects,
        filter_clips={"language": "en"},
        write_lists={"formats": ["gpt_sovits", "ljspeech", "nemo", "audiofolder"]},
    )
    assert result.report["stages"]["filter_clips"]["rejected"] == {
        "chars_per_second": 1,
        "empty_text": 1,
        "low_logprob": 1,
        "no_speech": 1,
        "repetition": 1,
        "wrong_language": 1,
    }
    assert result.report["stages"]["filter_clips"]["rows_out"] == 2  # 8 clips, script cycles
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted(r["reason"] for r in rows if r["stage"] == "filter_clips") == sorted(
        result.report["stages"]["filter_clips"]["rejected"]
    )
    assert all("audio16k" not in r for r in rows)
    manifest = [
        json.loads(line) for line in (out / "nemo" / "manifest.jsonl").read_text().splitlines()
    ]
    assert len(manifest) == len(listed(out)) == 2
    assert len((out / "ljspeech" / "metadata.csv").read_text().splitlines()) == 2
    assert len((out / "audiofolder" / "train" / "metadata.csv").read_text().splitlines()) == 3
    assert {p.name for p in (out / "wavs").glob("*.wav")} == {
        Path(m["audio_filepath"]).name for m in manifest
    }


def test_a_failing_run_leaves_no_clip_and_no_list(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="transcriber crashed"):
        run_voice([SPEAKERS], out, ScriptedTranscriber(fail_on_call=3))
    assert (
        sorted(p.name for p in out.rglob("*") if p.is_file() and ".dataprep-cache" not in p.parts)
        == []
    )


def test_rerun_reuses_vad_and_transcripts_and_gives_identical_lists(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = ScriptedTranscriber()
    run_voice([SPEAKERS], out, first)
    lists_before = {p.name: p.read_bytes() for p in out.glob("gpt_sovits/*.list")}
    manifest_before = (out / "nemo" / "manifest.jsonl").read_bytes()
    EnergyVad.calls = 0
    second = ScriptedTranscriber()
    result = run_voice([SPEAKERS], out, second)
    assert second.calls == 0 and EnergyVad.calls == 0
    assert result.report["stages"]["transcribe"]["notes"] == {"cached_files": 4}
    assert {p.name: p.read_bytes() for p in out.glob("gpt_sovits/*.list")} == lists_before
    assert (out / "nemo" / "manifest.jsonl").read_bytes() == manifest_before
    # A changed VAD parameter reruns VAD; transcripts are keyed by the clips themselves, so
    # they are reused while the clips stay the same and redone when the clips move.
    EnergyVad.calls = 0
    third = ScriptedTranscriber()
    run_voice([SPEAKERS], out, third, detect_speech={"max_seconds": 8.0})
    assert third.calls == 0 and EnergyVad.calls == 4
    fourth = ScriptedTranscriber()
    run_voice([SPEAKERS], out, fourth, detect_speech={"pad_seconds": 0.1})
    assert fourth.calls == 4


def test_a_changed_file_is_processed_again(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(NARRATION, folder / "a.wav")
    out = tmp_path / "out"
    run_voice([folder], out, ScriptedTranscriber())
    audio, rate = sf.read(folder / "a.wav", dtype="float32")
    sf.write(folder / "a.wav", audio * 0.5, rate)
    again = ScriptedTranscriber()
    run_voice([folder], out, again)
    assert again.calls == 1


def test_bad_files_are_counted_rejects_and_the_rest_is_processed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(NARRATION, folder / "good.wav")
    (folder / "zero.wav").write_bytes(b"")
    (folder / "notes.wav").write_text("not audio at all\n" * 50)
    sf.write(folder / "silence.wav", np.zeros(16000 * 4, dtype=np.float32), 16000)
    data = NARRATION.read_bytes()
    (folder / "truncated.wav").write_bytes(data[: len(data) // 8])  # 1.9 s: one short clip
    progress_out = tmp_path / "out"
    result = run_voice(
        [folder], progress_out, ScriptedTranscriber(), rejects=tmp_path / "rejects.jsonl"
    )
    counts = result.report["stages"]["detect_speech"]["rejected"]
    assert counts == {"no_speech": 1, "too_short": 1, "unreadable": 2}
    assert len(listed(progress_out)) == 3  # the three sentences of good.wav
    progress = result.ctx.progress
    assert isinstance(progress, RecordingProgress) and progress.totals["voice"] == 5
    details = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert {d["relpath"]: d["reason"] for d in details if d["reason"] == "unreadable"} == {
        "zero.wav": "unreadable",
        "notes.wav": "unreadable",
    }


def test_clipped_and_too_quiet_clips_are_rejected_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    audio, rate = sf.read(NARRATION, dtype="float32")
    sf.write(folder / "loud.wav", np.clip(audio * 40, -1, 1), rate, subtype="FLOAT")
    other, rate = sf.read(SPEAKERS / "ben" / "window.wav", dtype="float32")
    # Another recording: the same one at another gain would be a duplicate.
    sf.write(folder / "quiet.wav", other * 0.1, rate, subtype="FLOAT")  # about -37 dBFS RMS
    out = tmp_path / "out"
    result = run_voice(
        [folder],
        out,
        ScriptedTranscriber(),
        write_clips={"min_rms_dbfs": -30.0},
        check_speaker={"enabled": False},  # two voices under one folder name
    )
    assert result.report["stages"]["write_clips"]["rejected"] == {"clipping": 3, "too_quiet": 1}
    assert list((out / "wavs").glob("*.wav")) == []


def test_gpt_sovits_skips_languages_it_cannot_train_but_other_formats_keep_them(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    german = ClipTranscript(
        "Ein ganz normaler Satz auf Deutsch | mit Strich.", "de", 0.9, -0.2, 0.0, 1.1
    )
    result = run_voice([SPEAKERS / "ben"], out, ScriptedTranscriber([german]))
    assert list(out.glob("gpt_sovits/*.list")) == []
    assert result.report["stages"]["write_lists"]["notes"] == {"gpt_sovits_unsupported_language": 2}
    assert any("GPT-SoVITS" in w for w in result.report["warnings"])
    manifest = [
        json.loads(line) for line in (out / "nemo" / "manifest.jsonl").read_text().splitlines()
    ]
    assert [m["language"] for m in manifest] == ["de", "de"]
    assert all("|" not in m["text"] for m in manifest)


@given(st.text())
def test_cleaned_text_always_makes_a_four_field_list_line(text: str) -> None:
    cleaned = clean_text(text)
    if not cleaned:
        return
    line = GptSovitsRow(wav_path="/d/a.wav", speaker="colin", language="EN", text=cleaned).line()
    assert len(line.split("|")) == 4 and "\n" not in line and line.split("|")[3] == cleaned


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "a | b"),
        ("language", "DE"),
        ("language", "auto"),
        ("speaker", "x\ny"),
        ("text", ""),
    ],
    ids=["pipe-in-text", "german", "auto", "newline-speaker", "empty-text"],
)
def test_gpt_sovits_rows_refuse_what_breaks_the_trainer(field: str, value: str) -> None:
    row = {"wav_path": "/d/a.wav", "speaker": "colin", "language": "EN", "text": "Hello there."}
    row[field] = value
    with pytest.raises(ValidationError):
        GptSovitsRow(**row)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no audio here")
    code, _, err = run_main("voice", empty, "--out", tmp_path / "o", "-q")
    assert code == 2 and "no audio files" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_main(
        "voice", SPEAKERS, "--out", tmp_path / "o", "--format", "gpt_sovits,kaldi", "-q"
    )
    assert code == 2 and "unknown format 'kaldi'" in err and "ljspeech" in err
    code, _, err = run_main("voice", SPEAKERS, "--out", tmp_path / "o", "--max-seconds", "2", "-q")
    assert code == 2 and "max_seconds" in err


def test_default_output_folder_is_beside_the_input(tmp_path: Path) -> None:
    from dataprep.commands.voice import default_output

    (tmp_path / "wavs").mkdir()
    assert default_output((tmp_path / "wavs",)) == tmp_path / "wavs_dataset"
    assert default_output((NARRATION,)) == NARRATION.parent.with_name("colin_dataset")


def test_importing_the_voice_stages_loads_no_heavy_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys, dataprep.voice.stages, dataprep.commands.voice; "
        "print(sorted(m for m in ('numpy', 'soundfile', 'av', 'soxr', 'onnxruntime', 'faster_whisper', "
        "'ctranslate2', 'torch', 'silero_vad', 'pyloudnorm') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_one_speaker_name_for_every_file_gives_one_list(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_voice(
        [SPEAKERS, NARRATION], out, ScriptedTranscriber(), audio_files={"speaker": "Colin Smith"}
    )
    assert [p.name for p in out.glob("gpt_sovits/*.list")] == ["Colin_Smith.list"]
    rows = listed(out)
    assert {fields[1] for fields in rows} == {"Colin Smith"}
    assert len({Path(fields[0]).name for fields in rows}) == len(rows) == 8
    # The narration passed a second time is the same recording: a counted duplicate.
    assert result.report["stages"]["detect_speech"]["rejected"] == {"duplicate_audio": 1}
