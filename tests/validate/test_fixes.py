"""Mapping suggestions: the printed code parses and runs, and `dataprep convert` writes the same rows."""

from __future__ import annotations

import ast
import json
import os
import runpy
from pathlib import Path

import pytest

from dataprep.validate.fixes import suggest_mapping
from tests.conftest import run_main

ROWS = {
    "alpaca": [
        {"instruction": "Say hi", "input": "", "output": "Hi"},
        {"instruction": "Translate", "input": "chat", "output": "cat", "system": "Be brief."},
    ],
    "question_answer": [{"question": "2+2?", "answer": "4", "source": "quiz"}],
    "instruction_response": [{"instruction": "Name a color", "response": "Blue"}],
    "prompt_response": [{"prompt": "Name a fruit", "response": "Apple"}],
    "sharegpt": [
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
        {
            "system": "Be kind.",
            "conversations": [{"from": "human", "value": "yo"}, {"from": "gpt", "value": "hey"}],
        },
    ],
    "instruction_chosen_response_rejected_response": [
        {
            "instruction": "Capital of France?",
            "chosen_response": "Paris",
            "rejected_response": "Lyon",
        }
    ],
    "question_chosen_rejected": [{"question": "Sky?", "chosen": "Blue", "rejected": "Green"}],
    "chosen_response_rejected_response": [
        {"chosen_response": "Q? Yes", "rejected_response": "Q? No"}
    ],
    "openai_dpo": [
        {
            "input": {"messages": [{"role": "user", "content": "Hi?"}]},
            "preferred_output": [{"role": "assistant", "content": "Hello!"}],
            "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
        }
    ],
}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(ROWS), ids=str)
def test_suggestion_code_runs_and_matches_convert(name: str, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    source = _write(tmp_path / "in.jsonl", ROWS[name])
    mapping = suggest_mapping(ROWS[name][0])
    assert mapping is not None and mapping.name == name
    snippet = mapping.snippet(str(source))
    ast.parse(snippet)
    namespace = runpy.run_path(str(_write_code(tmp_path / "snippet.py", snippet)))
    by_snippet = namespace["dataset"].to_list()

    out = tmp_path / "out.jsonl"
    code, _, err = run_main("convert", source, "--out", out)
    assert code == 0, err
    assert f"mapped {len(ROWS[name])} rows with {name}" in err
    by_convert = datasets.load_dataset("json", data_files=str(out), split="train").to_list()
    assert by_convert == by_snippet

    # The converted file passes validation for the mapping's profile.
    code, report, _ = run_main(
        "validate", out, "--format", mapping.target, "--output-format", "json"
    )
    assert json.loads(report)["summary"]["error"] == 0


def _write_code(path: Path, code: str) -> Path:
    path.write_text(code, encoding="utf-8")
    return path


def test_validate_prints_the_fix(tmp_path: Path) -> None:
    source = _write(tmp_path / "qa.jsonl", ROWS["question_answer"])
    code, out, _ = run_main("validate", source)
    assert code == 1
    assert f"dataprep convert {source} --to sft --out {tmp_path / 'qa.sft.jsonl'}" in out
    assert 'example["question"]' in out


def test_print_code_equals_suggestion(tmp_path: Path) -> None:
    source = _write(tmp_path / "a.jsonl", ROWS["alpaca"])
    code, out, _ = run_main("convert", source, "--print-code")
    assert code == 0
    assert out == suggest_mapping(ROWS["alpaca"][0]).snippet(str(source))  # type: ignore[union-attr]


def test_convert_counts_rejects_and_keeps_them(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text(
        json.dumps({"question": "a?", "answer": "b"})
        + "\n"
        + "not json\n"
        + json.dumps({"question": "c?"})
        + "\n"
    )
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    code, _, err = run_main("convert", source, "--out", out, "--rejects", rejects)
    assert code == 0
    assert "rejected 1 rows: invalid JSON" in err and "rejected 1 rows: missing column" in err
    assert len(out.read_text().splitlines()) == 1
    kept = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["line"], r["stage"]) for r in kept] == [(2, "convert"), (3, "convert")]
    assert kept[1]["reason"] == "missing column (answer)"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"messages": [{"role": "user", "content": "x"}]}], "already are conversational"),
        ([{"foo": 1, "bar": 2}], "no known mapping from the columns (bar, foo)"),
        ([], "no JSON object rows"),
    ],
    ids=["already-trl", "unknown-columns", "empty"],
)
def test_convert_errors_are_one_line(rows: list[dict], message: str, tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, _, err = run_main("convert", source, "--out", out)
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_grpo_mapping_keeps_reward_columns(tmp_path: Path) -> None:
    source = _write(tmp_path / "math.jsonl", [{"problem": "1+1", "solution": "2"}])
    out = tmp_path / "grpo.jsonl"
    assert run_main("convert", source, "--to", "grpo", "--out", out)[0] == 0
    assert json.loads(out.read_text()) == {"solution": "2", "prompt": "1+1"}
