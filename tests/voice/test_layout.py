"""Every list format loads from the folder docs/voice.md names, whatever formats are written.

Each consumer's own reading rule is applied: GPT-SoVITS's four-field split, Coqui's
``ljspeech`` formatter (``root/wavs/<id>.wav``, third column), NeMo's JSONL manifest with
integer speakers, and Hugging Face ``datasets`` AudioFolder with decoded audio.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf
from tests.voice.conftest import SPEAKERS
from tests.voice.test_pipeline import ScriptedTranscriber, run_voice

from dataprep.voice.transcribe import ClipTranscript

ALL = ["gpt_sovits", "ljspeech", "nemo", "audiofolder"]
NUMBERS = ClipTranscript("In 1455 the 15th copy cost $5.", "en", 1.0, -0.2, 0.01, 1.1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "out"
    run_voice(
        [SPEAKERS],
        out,
        ScriptedTranscriber([NUMBERS]),
        write_lists={"formats": ALL, "val_fraction": 0.3},
        check_speaker={"enabled": False},
    )
    return out


def read_gpt_sovits(root: Path) -> list[list[str]]:
    """GPT-SoVITS 1-get-text.py: every line splits into exactly four fields."""
    rows = []
    for path in sorted(root.glob("*.list")):
        for line in path.read_text(encoding="utf-8").strip("\n").split("\n"):
            wav, speaker, language, text = line.split("|")
            assert Path(wav).is_file() and language in {"EN", "ZH", "JA", "KO", "YUE"}
            rows.append([wav, speaker, language, text])
    return rows


def read_ljspeech(root: Path, meta_file: str = "metadata.csv") -> list[tuple[Path, str]]:
    """Coqui TTS ``formatters.ljspeech``: root/wavs/<id>.wav and the third column."""
    items = []
    for line in (root / meta_file).read_text(encoding="utf-8").splitlines():
        cols = line.split("|")
        items.append((root / "wavs" / f"{cols[0]}.wav", cols[2]))
    return items


def test_each_format_has_its_own_root(dataset: Path) -> None:
    assert sorted(p.name for p in dataset.iterdir() if p.is_dir() and not p.name.startswith(".")) == [
        "audiofolder", "gpt_sovits", "ljspeech", "nemo", "wavs"
    ]  # fmt: skip
    assert not list(dataset.glob("*.list")) and not (dataset / "metadata.csv").exists()


def test_gpt_sovits_lists_load(dataset: Path) -> None:
    rows = read_gpt_sovits(dataset / "gpt_sovits")
    assert {speaker for _, speaker, _, _ in rows} == {"anna", "ben", "colin"}


def test_ljspeech_loads_from_its_folder_at_22050_hz_with_numbers_spelled_out(
    dataset: Path,
) -> None:
    items = read_ljspeech(dataset / "ljspeech") + read_ljspeech(
        dataset / "ljspeech", "metadata_val.csv"
    )
    assert len(items) == 8
    for wav, normalized in items:
        assert sf.info(str(wav)).samplerate == 22050
        assert normalized == ("In fourteen fifty-five the fifteenth copy cost five dollars.")


def test_nemo_manifest_has_integer_speakers_and_a_speaker_map(dataset: Path) -> None:
    root = dataset / "nemo"
    speakers = json.loads((root / "speakers.json").read_text())
    assert speakers == {"anna": 0, "ben": 1, "colin": 2}
    rows = [
        json.loads(line)
        for name in ("manifest.jsonl", "manifest_val.jsonl")
        for line in (root / name).read_text().splitlines()
    ]
    assert len(rows) == 8
    for row in rows:
        assert isinstance(row["speaker"], int) and speakers[row["speaker_name"]] == row["speaker"]
        assert Path(row["audio_filepath"]).is_file() and row["duration"] > 0


def test_validation_lists_hold_whole_source_files(dataset: Path) -> None:
    clips = [json.loads(line) for line in (dataset / "clips.jsonl").read_text().splitlines()]
    by_name = {Path(c["clip_path"]).stem: c["relpath"] for c in clips}
    train = {
        by_name[line.split("|")[0]]
        for line in (dataset / "ljspeech" / "metadata.csv").read_text().splitlines()
    }
    val = {
        by_name[line.split("|")[0]]
        for line in (dataset / "ljspeech" / "metadata_val.csv").read_text().splitlines()
    }
    assert train and val and not train & val
    val_lists = list((dataset / "gpt_sovits").glob("*.val.list"))
    assert val_lists and (dataset / "audiofolder" / "validation" / "metadata.csv").is_file()


def test_audiofolder_loads_with_datasets_and_decodes_audio(dataset: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("audiofolder", data_dir=str(dataset / "audiofolder"))
    assert set(loaded) == {"train", "validation"}
    assert loaded["train"].num_rows + loaded["validation"].num_rows == 8
    row = loaded["train"][0]
    assert row["transcription"] == NUMBERS.text
    samples = row["audio"].get_all_samples()  # datasets 5 decodes with torchcodec
    assert samples.sample_rate == 32000 and samples.data.shape[-1] > 32000


def test_a_rerun_with_other_formats_removes_what_it_no_longer_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(SPEAKERS / "colin", tmp_path / "in" / "colin")
    run_voice([tmp_path / "in"], out, ScriptedTranscriber(), write_lists={"formats": ALL})
    from dataprep.voice.output_folder import prune_stale

    result = run_voice(
        [tmp_path / "in"],
        out,
        ScriptedTranscriber(),
        write_lists={"formats": ["nemo"]},
        detect_speech={"max_seconds": 6.0},
    )
    prune_stale(out, result.outputs)
    manifest = [json.loads(x) for x in (out / "nemo" / "manifest.jsonl").read_text().splitlines()]
    assert {Path(m["audio_filepath"]).name for m in manifest} == {
        p.name for p in (out / "wavs").glob("*.wav")
    }
    assert not (out / "ljspeech").exists() and not (out / "audiofolder").exists()


def test_a_folder_holding_other_files_is_refused_in_one_line(tmp_path: Path) -> None:
    from tests.conftest import run_main

    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("not ours")
    code, _, err = run_main("voice", SPEAKERS / "colin", "--out", out, "-q")
    assert code != 0 and "did not write" in err and len(err.strip().splitlines()) <= 2
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]


def test_a_failed_run_leaves_no_new_folder(tmp_path: Path) -> None:
    from tests.conftest import run_main

    out = tmp_path / "new" / "dataset"
    code, _, _ = run_main(
        "voice", SPEAKERS / "colin", "--out", out, "--model", tmp_path / "no-model", "-q"
    )
    assert code != 0
    assert not (tmp_path / "new").exists()
