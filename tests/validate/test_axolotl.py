"""--profile axolotl: rows checked against a config's datasets entry (rules read from Axolotl's source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_main

GOOD = FIXTURES / "validate" / "good"


def _config(tmp_path: Path, entry: str, rl: str = "") -> Path:
    path = tmp_path / "axolotl.yaml"
    path.write_text(f"{rl}datasets:\n  - path: data.jsonl\n{entry}")
    return path


def _run(tmp_path: Path, rows: list[dict], entry: str, rl: str = "") -> tuple[int, dict]:
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out, err = run_main(
        "validate",
        data,
        "--profile",
        "axolotl",
        "--axolotl-config",
        _config(tmp_path, entry, rl),
        "--output-format",
        "json",
    )
    assert code in (0, 1), err
    return code, json.loads(out)


def test_sharegpt_type_is_rejected_like_axolotl(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"conversations": []}\n')
    code, _, err = run_main(
        "validate",
        data,
        "--profile",
        "axolotl",
        "--axolotl-config",
        _config(tmp_path, "    type: sharegpt\n"),
    )
    assert code == 2 and "sharegpt" in err and "chat_template" in err


def test_sharegpt_migration_mapping_passes(tmp_path: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}]}]
    entry = (
        "    type: chat_template\n    field_messages: conversations\n"
        "    message_property_mappings:\n      role: from\n      content: value\n"
    )
    code, report = _run(tmp_path, rows, entry)
    assert code == 0 and report["profile"] == "axolotl", report["findings"]


@pytest.mark.parametrize(
    ("rows", "entry", "rule"),
    [
        ([{"conversations": []}], "    type: chat_template\n", "X002"),
        ([{"messages": [{"from": "human", "value": "Hi"}]}], "    type: chat_template\n", "X003"),
        (
            [
                {
                    "messages": [
                        {"role": "hummany", "content": "Hi"},
                        {"role": "assistant", "content": "Yo"},
                    ]
                }
            ],
            "    type: chat_template\n",
            "X004",
        ),
        (
            [
                {
                    "messages": [
                        {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Yo"},
                    ]
                }
            ],
            "    type: chat_template\n    roles_to_train: [tool]\n",
            "X005",
        ),
        (
            [
                {
                    "messages": [
                        {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Yo"},
                        {"role": "user", "content": "Bye"},
                    ]
                }
            ],
            "    type: chat_template\n",
            "X006",
        ),
        (
            [{"messages": [{"role": "human", "content": "Hi"}], "chosen": "A", "rejected": "B"}],
            "    type: chat_template.default\n",
            "X003",
        ),
        (
            [{"messages": [{"role": "user", "content": "Hi"}], "chosen": 5, "rejected": "B"}],
            "    type: chat_template.default\n",
            "X003",
        ),
    ],
    ids=[
        "no-messages",
        "unmapped-keys",
        "unknown-role",
        "nothing-to-train",
        "last-not-trainable",
        "dpo-unknown-role",
        "dpo-bad-chosen",
    ],
)
def test_rules(rows: list[dict], entry: str, rule: str, tmp_path: Path) -> None:
    _, report = _run(tmp_path, rows, entry, "rl: dpo\n" if "default" in entry else "")
    assert rule in report["summary"]["by_rule"], report["findings"]


@pytest.mark.parametrize(
    "fixture",
    [
        "sft/messages",
        "sft/tool_calls",
        "sft/prompt_completion",
        "dpo/explicit",
        "dpo/implicit_conversational",
    ],
)
def test_convert_to_axolotl_round_trip(fixture: str, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, _, err = run_main("convert", GOOD / f"{fixture}.jsonl", "--to", "axolotl", "--out", out)
    assert code == 0, err
    config = tmp_path / "out.axolotl.yaml"
    assert "type: chat_template" in config.read_text()
    code, text, _ = run_main(
        "validate",
        out,
        "--profile",
        "axolotl",
        "--axolotl-config",
        config,
        "--output-format",
        "json",
    )
    assert code == 0, json.loads(text)["findings"][:3]
