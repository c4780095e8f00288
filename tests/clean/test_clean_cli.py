"""``dataprep clean`` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_main

CONVERSATIONS = FIXTURES / "clean" / "conversations.jsonl"
EXPECTED = FIXTURES / "clean" / "expected"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.model
def test_golden_output(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "clean",
        CONVERSATIONS,
        "--out",
        out,
        "--eval",
        FIXTURES / "clean" / "eval.jsonl",
        "--split",
        "0.6/0.2/0.2",
        "-q",
    )
    assert code == 0, err
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (EXPECTED / name).read_text(
            encoding="utf-8"
        ), name
    report = json.loads((tmp_path / "train.report.json").read_text(encoding="utf-8"))
    details = report["details"]
    assert details["split"]["cross_split_near_duplicate_pairs"] == 0
    assert details["scrub_pii"]["findings_by_entity"]["EMAIL_ADDRESS"] == 1
    assert "maria.garcia@example.com" not in json.dumps(report)


def test_runs_are_byte_identical_and_files_are_named_beside_out(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        code, _, err = run_main(
            "clean", CONVERSATIONS, "--out", folder / "chats.jsonl", "--no-pii", "--seed", "3", "-q"
        )
        assert code == 0, err
        outputs.append({p.name: p.read_bytes() for p in sorted(folder.glob("chats*.jsonl"))})
    assert set(outputs[0]) == {"chats.jsonl", "chats.val.jsonl", "chats.test.jsonl"}
    assert outputs[0] == outputs[1]
    rows = sum(len(b.splitlines()) for b in outputs[0].values())
    assert rows == 16  # 22 records: 1 exact, 1 near duplicate and 4 repeated "ok" replies removed


def test_records_keep_their_format_and_untouched_fields(tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    code, _, err = run_main(
        "clean", CONVERSATIONS, "--out", out, "--no-pii", "--no-split", "--no-dedupe", "-q"
    )
    assert code == 0, err
    assert read(out) == read(CONVERSATIONS)


def test_rejects_name_the_duplicated_id(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    code, _, _ = run_main(
        "clean",
        CONVERSATIONS,
        "--out",
        tmp_path / "o.jsonl",
        "--no-pii",
        "--no-split",
        "--rejects",
        rejects,
        "-q",
    )
    assert code == 0
    found = {(r["id"], r["reason"], r["duplicate_of"]) for r in read(rejects)}
    assert ("c2", "exact_duplicate", "c1") in found and ("c3", "near_duplicate", "c1") in found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "0.5/0.6/0.1"], "three shares adding up to 1"),
        (["--pii-entities", "EMAIL,PHONE_NUMBER"], "unknown entity type(s) EMAIL"),
        (["--pii-strategy", "hash"], "DATAPREP_PII_KEY"),
        (["--eval", "missing.jsonl"], "evaluation file not found"),
        (["--set", "dedupe.bands=40"], "exceeds num_perm"),
    ],
    ids=["bad-split", "unknown-entity", "hash-without-key", "missing-eval", "bad-bands"],
)
def test_bad_options_are_one_line_errors_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.delenv("DATAPREP_PII_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "train.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    code, _, err = run_main("clean", CONVERSATIONS, "--out", out, "-q", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    code, _, err = run_main("clean", tmp_path / "nope.jsonl", "--out", tmp_path / "o.jsonl", "-q")
    assert code == 2 and "no such file" in err


def test_help_and_stage_listing() -> None:
    code, out, _ = run_main("clean", "--help")
    assert code == 0 and "--pii-strategy" in out and "val.jsonl" in out
    code, out, _ = run_main("stages")
    for name in (
        "read_conversations",
        "dedupe",
        "scrub_pii",
        "split",
        "decontaminate",
        "write_records",
    ):
        assert name in out


def test_a_lone_surrogate_escape_outside_the_turn_text_is_written_as_u_fffd(
    tmp_path: Path,
) -> None:
    """Found by the fuzz suite: a role spelled with an unpaired ``\\uD80a`` escape reached the
    writer as a lone surrogate, which UTF-8 cannot encode (a traceback, no output)."""
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"messages": [{"role": "user", "content": "Hi there"}, '
        '{"role": "\\uD80assistant", "content": "Hello"}]}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, _, err = run_main("clean", source, "--out", out, "--no-pii", "--no-split", "-q")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["messages"][1]["role"] == "\ufffdssistant"
