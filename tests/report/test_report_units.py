"""Report statistics, page assembly and apply-edits, without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprep.report import page_data
from dataprep.report.page import render_page
from dataprep.report.rows import flatten
from dataprep.report.summaries import Reservoir, Values, histogram, shared_histogram
from dataprep.report.text import ngrams
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.bootstrap.test_bootstrap_server import bootstrap
from tests.conftest import FIXTURES, run_main
from tests.report.conftest import MULTILINGUAL, run_chat, write_multilingual


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=300)
)
def test_histogram_counts_every_value_once(values: list[float]) -> None:
    data = histogram(values)
    assert sum(data["counts"]) == len(values)
    assert len(data["edges"]) == len(data["counts"]) + 1
    assert data["edges"] == sorted(data["edges"])


@given(
    st.lists(st.integers(min_value=0, max_value=10**6), max_size=200),
    st.lists(st.integers(min_value=0, max_value=10**6), max_size=200),
)
def test_shared_histogram_bins_every_series_on_the_pooled_edges(
    user: list[int], assistant: list[int]
) -> None:
    series = {"user": Values(), "assistant": Values()}
    for name, values in (("user", user), ("assistant", assistant)):
        for value in values:
            series[name].add(value)
    data = shared_histogram(series, integer=True)
    pooled = histogram(user + assistant, integer=True)
    assert (data["edges"], data["overflow"]) == (pooled["edges"], pooled["overflow"])
    if data["edges"]:
        counts = [series["counts"] for series in data["series"]]
        assert [sum(c) for c in counts] == [len(user), len(assistant)]
        assert [sum(column) for column in zip(*counts, strict=True)] == pooled["counts"]


def test_integer_histogram_has_whole_number_edges() -> None:
    data = histogram([1, 2, 2, 3, 3, 3, 40], integer=True)
    assert all(float(edge).is_integer() for edge in data["edges"])
    assert sum(data["counts"]) == 7


def test_reservoir_is_bounded_seeded_and_in_stream_order() -> None:
    def run(seed: int) -> list[int]:
        sample: Reservoir[int] = Reservoir(10, seed)
        for i in range(1000):
            sample.offer(lambda i=i: i)
        return sample.sample()

    assert len(run(1)) == 10 and run(1) == run(1) and run(1) != run(2)
    assert run(1) == sorted(run(1))


@pytest.mark.parametrize(
    "path",
    sorted((FIXTURES / "validate" / "good").rglob("*.jsonl")),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_every_trainer_format_flattens_to_turns(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        flat = flatten(json.loads(line))
        assert flat is not None and any(flat.texts())  # a tool-call turn may have no text


def test_chinese_ngrams_count_characters_as_words() -> None:
    assert "重 置 密" in ngrams("我怎么重置密码")
    assert ngrams("Open the settings now") == ["open the settings", "the settings now"]


def test_multilingual_dataset_languages_ngrams_and_bounded_sample(tmp_path: Path) -> None:
    folder = write_multilingual(tmp_path / "ml", copies=6)
    data = page_data([folder], folder / "report.html", None)
    overview = data["overview"]
    assert {s["name"]: s["rows"] for s in overview["splits"]} == {"test": 8, "train": 40}
    # py3langid (the report extra) names each of the eight languages.
    assert set(overview["languages"]) == set(MULTILINGUAL)
    roles = {s["label"] for c in data["charts"] if c["id"] == "chars_per_role" for s in c["series"]}
    assert roles == {"system", "user", "assistant"}
    # Each assistant answer is repeated six times.
    assert sorted(n for _, n in data["tables"][0]["rows"]) == [6] * 8
    assert data["samples"]["total"] == 48 and len(data["samples"]["rows"]) == 48


def test_big_dataset_embeds_a_bounded_sample_but_counts_every_row(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(3000):
            row = {
                "messages": [
                    {"role": "user", "content": f"q{i}"},
                    {"role": "assistant", "content": f"answer {i}"},
                ]
            }
            handle.write(json.dumps(row) + "\n")
    data = page_data([path], tmp_path / "p.html", None)
    assert data["samples"]["total"] == 3000
    assert len(data["samples"]["rows"]) == 300
    chart = next(c for c in data["charts"] if c["id"] == "chars_per_sample")
    assert sum(chart["series"][0]["counts"]) == 3000


def test_pii_placeholders_are_counted_by_type(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    rows = [
        {
            "messages": [
                {
                    "role": "user",
                    "content": "Could you call <PERSON_1> tomorrow morning at <PHONE_NUMBER>?",
                },
                {
                    "role": "assistant",
                    "content": "Of course, and I will send the invoice to <EMAIL_ADDRESS_9F86D081> and <PERSON_2>.",
                },
            ]
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    data = page_data([path], tmp_path / "p.html", None)
    assert data["overview"]["pii_by_type"] == {"PERSON": 2, "PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}
    by_language = {(lang, entity): n for lang, entity, n in data["tables"][2]["rows"]}
    assert by_language == {
        ("en", "PERSON"): 2,
        ("en", "PHONE_NUMBER"): 1,
        ("en", "EMAIL_ADDRESS"): 1,
    }


def test_page_is_self_contained_and_row_text_cannot_break_out(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    evil = "</script><script>alert(1)</script><!-- x"
    path.write_text(json.dumps({"text": evil}) + "\n", encoding="utf-8")
    page = render_page(page_data([path], tmp_path / "p.html", None))
    assert page.count("</script>") == 3  # the data, uPlot and the page script
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)


def test_rejects_never_feed_a_text_page(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    run_chat(FIXTURES / "chat", out, "--rejects", tmp_path / "dropped.jsonl")
    dropped = [json.loads(line) for line in (tmp_path / "dropped.jsonl").read_text().splitlines()]
    assert dropped
    for data in (
        json.loads(
            re.search(
                r'id="report-data">(.*?)</script>', (tmp_path / "train.report.html").read_text()
            ).group(1)
        ),
        page_data([tmp_path], tmp_path / "again.html", None),
    ):
        assert {s["name"] for s in data["overview"]["splits"]} == {"train", "val", "test"}
        assert {r["split"] for r in data["samples"]["rows"]} <= {"train", "val", "test"}


def write_voice_folder(folder: Path) -> list[dict]:
    (folder / "wavs").mkdir(parents=True)
    rows = []
    for i, speaker in enumerate(["ann", "ann", "bob"]):
        clip = folder / "wavs" / f"c{i}.wav"
        clip.write_bytes(b"RIFF")
        rows.append(
            {
                "speaker": speaker,
                "text": f"text {i}",
                "language": "en",
                "duration": 3.0 + i,
                "avg_logprob": -0.2 * i,
                "clip_path": str(clip),
            }
        )
    (folder / "clips.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    return rows


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            {
                "format": "dataprep-voice-edits",
                "version": 1,
                "edits": [{"clip": "wavs/nope.wav", "bad": True}],
            },
            "not in clips.jsonl",
        ),
        ({"format": "something-else", "version": 1, "edits": []}, "not a dataprep edits file"),
        (
            {
                "format": "dataprep-voice-edits",
                "version": 1,
                "edits": [{"clip": "wavs/c0.wav", "txt": "x"}],
            },
            "not a dataprep edits file",
        ),
        (
            {
                "format": "dataprep-voice-edits",
                "version": 1,
                "edits": [{"clip": "wavs/c0.wav", "text": "  "}],
            },
            "transcript is empty",
        ),
    ],
    ids=["unknown-clip", "wrong-format", "unknown-field", "empty-text"],
)
def test_bad_edits_are_one_line_errors_and_change_nothing(
    tmp_path: Path, edits: dict, message: str
) -> None:
    folder = tmp_path / "ds"
    write_voice_folder(folder)
    before = (folder / "clips.jsonl").read_bytes()
    path = tmp_path / "edits.json"
    path.write_text(json.dumps(edits), encoding="utf-8")
    code, _, err = run_main("voice", "apply-edits", folder, path)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert (folder / "clips.jsonl").read_bytes() == before


def test_apply_edits_without_run_report_rewrites_the_lists_present(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    write_voice_folder(folder)
    (folder / "nemo").mkdir()
    (folder / "gpt_sovits").mkdir()
    (folder / "nemo" / "manifest.jsonl").write_text("old\n", encoding="utf-8")
    (folder / "gpt_sovits" / "ann.list").write_text("old\n", encoding="utf-8")
    (folder / "gpt_sovits" / "bob.list").write_text("old\n", encoding="utf-8")
    edits = {
        "format": "dataprep-voice-edits",
        "version": 1,
        "edits": [{"clip": "wavs/c2.wav", "bad": True}, {"clip": "wavs/c0.wav", "text": "fixed"}],
    }
    path = tmp_path / "edits.json"
    path.write_text(json.dumps(edits), encoding="utf-8")
    code, _, err = run_main("voice", "apply-edits", folder, path)
    assert code == 0, err
    manifest_path = folder / "nemo" / "manifest.jsonl"
    manifest = [json.loads(line) for line in manifest_path.read_text().splitlines()]
    assert [m["text"] for m in manifest] == ["fixed", "text 1"]
    assert "fixed" in (folder / "gpt_sovits" / "ann.list").read_text()
    assert not (folder / "gpt_sovits" / "bob.list").exists()  # its only clip was marked bad
    rows = [json.loads(line) for line in (folder / "clips.jsonl").read_text().splitlines()]
    assert rows[0]["edits"] == [{"field": "text", "before": "text 0", "after": "fixed"}]
    assert rows[2]["excluded"] == "marked_bad_in_review"


def test_apply_edits_keeps_the_runs_validation_split(tmp_path: Path) -> None:
    """A run with --val-fraction wrote validation lists; apply-edits rewrites them too, with
    the same clips in each split (marking a clip bad moves no other clip)."""
    folder = tmp_path / "ds"
    rows = write_voice_folder(folder)
    for row, source in zip(rows, ["a.wav", "a.wav", "b.wav"], strict=True):
        row["relpath"] = source
    (folder / "clips.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    report = {
        "command": "voice",
        "seed": 0,
        "stages": {},
        "recipe": {
            "stages": [
                {"stage": "write_lists", "params": {"formats": ["nemo"], "val_fraction": 0.3}}
            ]
        },
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    edits = {
        "format": "dataprep-voice-edits",
        "version": 1,
        "edits": [{"clip": "wavs/c0.wav", "text": "fixed"}],
    }
    path = tmp_path / "edits.json"
    path.write_text(json.dumps(edits), encoding="utf-8")
    code, _, err = run_main("voice", "apply-edits", folder, path)
    assert code == 0, err
    train = (folder / "nemo" / "manifest.jsonl").read_text().splitlines()
    validation = (folder / "nemo" / "manifest_val.jsonl").read_text().splitlines()
    texts = {json.loads(line)["text"] for line in train} | {
        json.loads(line)["text"] for line in validation
    }
    assert texts == {"fixed", "text 1", "text 2"}
    assert train and validation  # one source file in each split
    sources = {
        tuple(sorted(json.loads(line)["text"] for line in part)) for part in (train, validation)
    }
    assert sources == {("fixed", "text 1"), ("text 2",)}  # whole source files per split


def test_voice_page_lists_clips_with_relative_audio_and_bad_clips_as_rejected(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ds"
    rows = write_voice_folder(folder)
    rows[1]["excluded"] = "marked_bad_in_review"
    (folder / "clips.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    data = page_data([folder], folder / "report.html", None)
    assert [c["src"] for c in data["clips"]] == ["wavs/c0.wav", "wavs/c2.wav"]
    assert data["rejected_by_reason"] == {"marked_bad_in_review": 1}
    assert data["clips"][1]["chars_per_second"] == pytest.approx(6 / 5.0)


def embedded_data(page: Path) -> dict:
    match = re.search(r'id="report-data">(.*?)</script>', page.read_text(encoding="utf-8"))
    assert match is not None
    return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.mark.model
def test_clean_run_page_and_card_count_pii_by_type_and_hold_none(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    source = FIXTURES / "clean" / "conversations.jsonl"
    code, _, err = run_main("clean", source, "--out", out, "--split", "0.6/0.2/0.2", "-q")
    assert code == 0, err
    data = embedded_data(tmp_path / "train.report.html")
    assert data["overview"]["pii_from"] == "run report"
    assert data["overview"]["pii_by_type"]["EMAIL_ADDRESS"] == 1
    assert any(chart["id"] == "pii_by_type" for chart in data["charts"])
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "| EMAIL_ADDRESS | 1 |" in card and "scrub_pii" in card
    for text in (json.dumps(data, ensure_ascii=False), card):
        assert "maria.garcia@example.com" not in text


def test_tokenizer_adds_token_distributions(tmp_path: Path) -> None:
    source = FIXTURES / "validate" / "good" / "sft" / "messages.jsonl"
    data = page_data(
        [source], tmp_path / "p.html", None, tokenizer=FIXTURES / "validate" / "tokenizer"
    )
    charts = {chart["id"]: chart for chart in data["charts"]}
    rows = len(source.read_text(encoding="utf-8").splitlines())
    assert sum(charts["tokens_per_sample"]["series"][0]["counts"]) == rows
    assert {s["label"] for s in charts["tokens_per_role"]["series"]} >= {"user", "assistant"}


@pytest.mark.server
def test_bootstrap_run_writes_its_page_and_card(
    server: FakeOpenAIServer, api_key: str, tmp_path: Path
) -> None:
    code, _, err = bootstrap(server, tmp_path, "--n", "4", "--seed", "7")
    assert code == 0, err
    data = embedded_data(tmp_path / "synth.report.html")
    assert [(s["name"], s["rows"]) for s in data["overview"]["splits"]] == [("train", 4)]
    assert data["funnel"][0]["stage"] == "generate" and data["funnel"][0]["rows_out"] == 4
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "recipe `bootstrap` (task `sft`, model `test-model`)" in card
    assert "path: synth.jsonl" in card and "split: train" in card


def test_split_names_follow_the_out_convention(tmp_path: Path) -> None:
    from dataprep.report.dataset import split_names

    named = [Path("chats.jsonl"), Path("chats.val.jsonl"), Path("chats.test.jsonl")]
    assert split_names(named) == ["train", "val", "test"]
    assert split_names([Path("a.jsonl"), Path("b.jsonl")]) == ["a", "b"]


@pytest.mark.parametrize(
    "layout",
    [
        ["ann.list", "metadata.csv", "manifest.jsonl", "wavs/metadata.csv"],
        [
            "gpt_sovits/ann.list",
            "gpt_sovits/ann.val.list",
            "ljspeech/metadata.csv",
            "nemo/manifest.jsonl",
            "nemo/manifest_val.jsonl",
            "audiofolder/train/metadata.csv",
        ],
    ],
    ids=["flat", "folder-per-format"],
)
def test_voice_folder_finds_every_list_on_disk_or_staged(tmp_path: Path, layout: list[str]) -> None:
    from dataprep.report.voice import VoiceFolder

    for staged in (False, True):
        root = tmp_path / str(staged)
        paths = {(root / name).absolute() for name in layout}
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not staged:
                path.write_text("x\n", encoding="utf-8")
        (root / "ljspeech" / "wavs").mkdir(parents=True, exist_ok=True)
        (root / "ljspeech" / "wavs" / "x.wav").write_bytes(b"")
        folder = VoiceFolder(root, staged=frozenset(paths) if staged else frozenset())
        found = folder.list_files()
        assert set(found) == {"gpt_sovits", "ljspeech", "nemo", "audiofolder"}
        assert {p for files in found.values() for p in files} == paths


def test_formats_only_chat_writes_are_read_through_the_registry() -> None:
    alpaca = flatten({"instruction": "Translate", "input": "bonjour", "output": "hello"})
    assert alpaca is not None and alpaca.format == "alpaca"
    assert alpaca.turns[-1] == ("assistant", "hello") and alpaca.turns[0][0] == "user"
    multimodal = {"messages": [{"role": "user", "content": [{"type": "image"}]}]}
    assert flatten(multimodal) is None  # counted as unreadable, never guessed
