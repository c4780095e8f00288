"""LLaMA-Factory alpaca: written by the chat writer, read back the way LLaMA-Factory reads it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.conversations import parse_record, restore_record
from dataprep.formats import output_writer
from dataprep.formats.alpaca import Alpaca, AlpacaPreference
from dataprep.tables import SAMPLE_SCHEMA, TURN
from tests.conftest import run_main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def llamafactory_alpaca(example: dict[str, Any]) -> dict[str, Any]:
    """What LLaMA-Factory's alpaca converter (data/converter.py) builds from one row, with
    ``columns`` prompt=instruction, query=input, response=output, system, history."""
    prompt = []
    if isinstance(example.get("history"), list):
        for old_prompt, old_response in example["history"]:
            prompt.append({"role": "user", "content": old_prompt})
            prompt.append({"role": "assistant", "content": old_response})
    query = [example[key] for key in ("instruction", "input") if example.get(key)]
    prompt.append({"role": "user", "content": "\n".join(query)})
    if isinstance(example.get("chosen"), str) and isinstance(example.get("rejected"), str):
        response = [
            {"role": "assistant", "content": example["chosen"]},
            {"role": "assistant", "content": example["rejected"]},
        ]
    else:
        response = [{"role": "assistant", "content": example["output"]}]
    return {"_prompt": prompt, "_response": response, "_system": example.get("system") or ""}


def _samples(conversations: list[list[tuple[str, str]]]) -> pl.DataFrame:
    rows = [
        {
            "id": str(i),
            "group": str(i),
            "messages": [{"role": r, "content": c} for r, c in turns],
            "speakers": [],
            "source": f"x:{i}",
        }
        for i, turns in enumerate(conversations)
    ]
    return pl.DataFrame(rows, schema=SAMPLE_SCHEMA)


def test_written_rows_read_back_as_the_same_conversation() -> None:
    turns = [
        ("system", "Be brief."),
        ("user", "Hi"),
        ("assistant", "Hello"),
        ("user", "Weather?"),
        ("assistant", "Sunny."),
    ]
    records = output_writer("alpaca", False)(_samples([turns])).to_dicts()
    assert records == [
        {
            "instruction": "Weather?",
            "input": "",
            "output": "Sunny.",
            "system": "Be brief.",
            "history": [["Hi", "Hello"]],
        }
    ]
    Alpaca.model_validate(records[0])
    read = llamafactory_alpaca(records[0])
    assert read["_system"] == "Be brief."
    assert read["_prompt"] + read["_response"] == [
        {"role": r, "content": c} for r, c in turns if r != "system"
    ]


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=5), st.one_of(st.none(), _TEXT))
def test_alternating_conversations_survive_llamafactory_reading(
    rounds: list[tuple[str, str]], system: str | None
) -> None:
    turns = [("system", system)] if system else []
    for user, assistant in rounds:
        turns += [("user", user), ("assistant", assistant)]
    record = output_writer("alpaca", False)(_samples([turns])).to_dicts()[0]
    read = llamafactory_alpaca(json.loads(json.dumps(record)))
    assert read["_system"] == (system or "")
    assert read["_prompt"] + read["_response"] == [
        {"role": r, "content": c} for r, c in turns if r != "system"
    ]


def test_preference_pairs_follow_llamafactory_ranking_rows() -> None:
    samples = _samples([[("user", "Pick one")]]).with_columns(
        pl.Series("chosen", [[{"role": "assistant", "content": "good"}]], dtype=pl.List(TURN)),
        pl.Series("rejected", [[{"role": "assistant", "content": "bad"}]], dtype=pl.List(TURN)),
    )
    record = output_writer("alpaca", True)(samples).to_dicts()[0]
    AlpacaPreference.model_validate(record)
    read = llamafactory_alpaca(record)
    assert read["_prompt"] == [{"role": "user", "content": "Pick one"}]
    assert [t["content"] for t in read["_response"]] == ["good", "bad"]


@pytest.mark.parametrize(
    "record",
    [
        {"instruction": "Translate", "input": "chat", "output": "cat", "extra": 1},
        {"instruction": "q", "output": "a", "system": "s", "history": [["q0", "a0"]]},
        {"instruction": "q", "input": "", "chosen": "good", "rejected": "bad"},
    ],
    ids=["input", "history", "ranking"],
)
def test_clean_reads_and_restores_alpaca_records(record: dict[str, Any]) -> None:
    fmt, messages, chosen, rejected = parse_record(copy.deepcopy(record))
    assert fmt == "alpaca"
    assert restore_record(copy.deepcopy(record), fmt, messages, chosen, rejected) == record
    changed = [{**turn, "content": turn["content"].upper()} for turn in messages]
    restored = restore_record(copy.deepcopy(record), fmt, changed, chosen, rejected)
    assert restored["instruction"] == record["instruction"].upper()


def test_chat_writes_alpaca_that_llamafactory_reads(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "chat", FIXTURES / "chat", "--me", "Colin", "--out", out, "--output-format", "alpaca",
        "--no-pii", "--no-split", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows
    for row in rows:
        Alpaca.model_validate(row)
        read = llamafactory_alpaca(row)
        assert read["_prompt"][-1]["role"] == "user" and read["_response"][0]["content"]
