"""The cases where validate and TRL used to disagree (issue 14, "Why"), one test each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.validate import check_records
from dataprep.validate.reader import validate_file
from tests.conftest import FIXTURES, run_main

BAD = FIXTURES / "validate" / "bad"
GOOD = FIXTURES / "validate" / "good"


def user(text: object) -> dict:
    return {"role": "user", "content": text}


def assistant(text: object) -> dict:
    return {"role": "assistant", "content": text}


def _rules(rows: list[dict], profile: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for finding in check_records(rows, profile):
        found.setdefault(finding.rule, []).append((finding.line, finding.pointer, finding.message))
    return found


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_images_column_with_a_text_model_is_an_error() -> None:
    report = validate_file(BAD / "sft" / "V001-images-column.jsonl", "sft")
    assert report.counts["V001"] == 1 and report.exit_code() == 1
    assert "vision-related" in report.findings[0].message
    code, _, _ = run_main("validate", BAD / "sft" / "V001-images-column.jsonl", "--vision-model")
    assert code == 0


def test_weight_zero_turn_is_an_error_because_trl_trains_on_it() -> None:
    rows = [{"messages": [user("q"), {"role": "assistant", "content": "no", "weight": 0}]}]
    assert _rules(rows, "sft")["M011"][0][:2] == (1, "/messages/1/weight")
    ok = [{"messages": [user("q"), {"role": "assistant", "content": "yes", "weight": 1}]}]
    assert "M011" not in _rules(ok, "sft")


@pytest.mark.parametrize("key", ["chosen", "rejected", "prompt"])
def test_dpo_field_holding_json_text_of_messages(key: str) -> None:
    row = {"prompt": "q", "chosen": " a", "rejected": " b"}
    row[key] = json.dumps([assistant("a")])
    found = _rules([row], "dpo")
    assert found["P007"][0][1] == f"/{key}"
    # A string that merely starts with a bracket is text.
    assert "P007" not in _rules([{"prompt": "q", "chosen": "[1] yes", "rejected": "no"}], "dpo")


def test_empty_content_with_tool_calls_is_accepted() -> None:
    call = [{"type": "function", "function": {"name": "f", "arguments": {}}}]
    rows = [
        {
            "messages": [
                user("q"),
                {"role": "assistant", "content": "", "tool_calls": call},
                {"role": "tool", "content": "r"},
                assistant("a"),
            ]
        }
    ]
    assert _rules(rows, "sft") == {}
    rows[0]["messages"][1].pop("tool_calls")
    assert "M005" in _rules(rows, "sft")


def test_kto_integer_labels_are_accepted_and_counted() -> None:
    report = validate_file(GOOD / "kto" / "int_labels.jsonl", "kto")
    assert report.exit_code() == 0
    assert report.label_counts == {"desirable": 3, "undesirable": 3}
    assert "K001" in _rules([{"prompt": "q", "completion": "a", "label": "1"}], "kto")


def test_prompt_ending_with_system_is_only_a_warning() -> None:
    report = validate_file(GOOD / "dpo" / "prompt_ends_with_system.jsonl", "dpo")
    assert report.counts["S002"] == 6 and report.exit_code() == 0


def test_json_array_file_is_validated_element_by_element(tmp_path: Path) -> None:
    rows = [{"messages": [user(f"q{i}"), assistant("a")]} for i in range(3)]
    rows[1]["messages"][1]["content"] = ""
    path = tmp_path / "data.json"
    path.write_text(json.dumps(rows, indent=2))
    report = validate_file(path, "sft")
    assert report.rows == 3
    assert [(f.rule, f.line) for f in report.findings if f.severity == "error"] == [("M005", 14)]
    assert report.counts["J004"] == 1 and report.findings[0].severity == "info"


def test_json_array_is_streamed_not_loaded(tmp_path: Path) -> None:
    """Elements larger than the read chunk, and many of them, parse with the right lines."""
    from dataprep.validate import jsonarray

    big = "x" * (3 * jsonarray._CHUNK)
    rows = [{"text": big if i == 1 else f"t{i}"} for i in range(2000)]
    path = tmp_path / "big.json"
    path.write_text("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n")
    report = validate_file(path, "sft")
    assert report.rows == 2000 and report.exit_code() == 0


def test_truncated_json_array_is_an_error_at_the_broken_element(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('[\n{"text": "a"},\n{"text": "b"\n')
    report = validate_file(path, "sft")
    assert report.rows == 1
    assert [(f.rule, f.line) for f in report.findings if f.rule == "J001"] == [("J001", 3)]


def test_type_drift_blames_the_outlier_even_on_the_first_row() -> None:
    rows = [{"messages": [user([{"type": "text", "text": "q"}]), assistant("a")]}]
    rows += [{"messages": [user(f"q{i}"), assistant("a")]} for i in range(11)]
    drift = _rules(rows, "sft")["F004"]
    assert [(line, pointer) for line, pointer, _ in drift] == [(1, "/messages/0/content")]
    assert "array here but string in 12 rows" in drift[0][2]


def test_wrong_profile_names_the_missing_key() -> None:
    message = _rules([{"prompt": "q", "completion": "a"}], "kto")["F006"][0][2]
    assert "missing 'label'" in message
    message = _rules([{"prompt": "q"}], "dpo")["F006"][0][2]
    assert "'chosen' and 'rejected'" in message


def test_lone_surrogate_is_named() -> None:
    report = validate_file(BAD / "sft" / "J007-lone-surrogate.jsonl", "sft")
    finding = next(f for f in report.findings if f.rule == "J007")
    assert finding.line == 2 and "\\ud83d" in finding.message and "surrogate" in finding.message
    assert "hex escape" not in finding.message


def test_numeric_string_decoded_by_datasets_is_pinned_to_its_line() -> None:
    report = validate_file(BAD / "sft" / "F010-numeric-string.jsonl", "sft")
    decoded = [(f.line, f.pointer) for f in report.findings if f.rule == "F010"]
    assert decoded == [(1, "/messages/1/content")]
    # Without mixed types the column stays a string column: "42" is fine.
    assert "F010" not in _rules([{"messages": [user("6*7?"), assistant("42")]}], "sft")


def test_few_rows_is_advice_that_strict_does_not_fail() -> None:
    code, out, _ = run_main(
        "validate", GOOD / "sft" / "messages.jsonl", "--strict", "--output-format", "json"
    )
    report = json.loads(out)
    assert code == 0 and report["summary"]["info"] == 1 and "F007" in report["summary"]["by_rule"]


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        (BAD / "sft" / "M004-sharegpt-roles.jsonl", "M004"),
        (BAD / "grpo" / "G002-unreachable-column.jsonl", "G002"),
    ],
    ids=["sharegpt-roles", "grpo-unreachable"],
)
def test_silent_damage_fails_without_strict(path: Path, rule: str) -> None:
    report = validate_file(path, path.parent.name)
    assert report.counts[rule] and report.exit_code() == 1
