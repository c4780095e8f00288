"""Reading conversation JSONL into samples and writing records back unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.conversations import (
    NotAConversation,
    ReadConversations,
    parse_record,
    restore_record,
)
from dataprep.context import RunContext

RECORDS = {
    "sharegpt": {
        "id": "a",
        "conversations": [
            {"from": "system", "value": "be nice"},
            {"from": "human", "value": "hi"},
            {"from": "gpt", "value": "hello"},
        ],
        "extra": [1, 2],
    },
    "sharegpt_dpo": {
        "conversations": [{"from": "human", "value": "pick"}],
        "chosen": {"from": "gpt", "value": "good"},
        "rejected": {"from": "gpt", "value": "bad"},
    },
    "openai": {
        "messages": [
            {"role": "user", "content": "hi", "name": "x"},
            {"role": "assistant", "content": None, "tool_calls": []},
        ]
    },
    "trl_strings": {"prompt": "Say hi", "chosen": "Hi!", "rejected": "no", "score": 0.5},
    "trl_messages": {
        "prompt": [{"role": "user", "content": "Say hi"}],
        "chosen": [{"role": "assistant", "content": "Hi!"}],
        "rejected": [{"role": "assistant", "content": "no"}],
    },
    "openai_dpo": {
        "input": {"messages": [{"role": "user", "content": "q"}], "tools": []},
        "preferred_output": [{"role": "assistant", "content": "a"}],
        "non_preferred_output": [{"role": "assistant", "content": "b"}],
    },
}


@pytest.mark.parametrize("name", list(RECORDS), ids=list(RECORDS))
def test_restore_without_changes_is_identity(name: str) -> None:
    record = RECORDS[name]
    fmt, messages, chosen, rejected = parse_record(copy.deepcopy(record))
    assert restore_record(copy.deepcopy(record), fmt, messages, chosen, rejected) == record


@pytest.mark.parametrize("name", list(RECORDS), ids=list(RECORDS))
def test_restore_puts_new_contents_in_place(name: str) -> None:
    record = RECORDS[name]
    fmt, messages, chosen, rejected = parse_record(copy.deepcopy(record))

    def shout(turns: list[dict[str, str]] | None) -> list[dict[str, str]] | None:
        return (
            None if turns is None else [{**t, "content": t["content"].upper() + "!"} for t in turns]
        )

    restored = restore_record(
        copy.deepcopy(record), fmt, shout(messages) or [], shout(chosen), shout(rejected)
    )
    again = parse_record(restored)
    assert again[1] == shout(messages) and again[2] == shout(chosen) and again[3] == shout(rejected)
    untouched = {
        k: v
        for k, v in record.items()
        if k
        not in {
            "conversations",
            "messages",
            "prompt",
            "chosen",
            "rejected",
            "input",
            "preferred_output",
            "non_preferred_output",
        }
    }
    assert {k: restored[k] for k in untouched} == untouched


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["user", "assistant", "system"]), st.text(max_size=30)),
        min_size=1,
        max_size=6,
    )
)
def test_openai_round_trip(turns: list[tuple[str, str]]) -> None:
    record = {"messages": [{"role": r, "content": c} for r, c in turns]}
    fmt, messages, chosen, rejected = parse_record(copy.deepcopy(record))
    assert (
        json.loads(
            json.dumps(restore_record(copy.deepcopy(record), fmt, messages, chosen, rejected))
        )
        == record
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "not a JSON object"),
        ({"text": "hello"}, "no conversations"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"content": "x"}]}, "without a role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "non-text content"),
        ({"conversations": [{"value": "x"}]}, "from/value"),
    ],
    ids=["array", "no-turns", "empty", "no-role", "multimodal", "sharegpt-no-from"],
)
def test_not_a_conversation(value: Any, message: str) -> None:
    with pytest.raises(NotAConversation, match=message):
        parse_record(value)


def test_reader_counts_bad_lines(fixtures_dir: Path) -> None:
    ctx = RunContext(inputs=[fixtures_dir / "clean" / "bad_rows.jsonl"])
    stage = ReadConversations()
    stage.setup(ctx)
    batches = list(stage.process(iter(()), ctx))
    assert sum(b.height for b in batches) == 1
    assert ctx.counts["read_conversations"].rejected == {"not_a_conversation": 3, "invalid_json": 1}


def test_reader_batches_and_keeps_ids(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    lines = [
        json.dumps(
            {
                "messages": [{"role": "user", "content": f"m{i}"}],
                **({"id": f"x{i}"} if i % 2 else {}),
            }
        )
        for i in range(25)
    ]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    ctx = RunContext(inputs=[path])
    stage = ReadConversations({"batch_size": 10})
    stage.setup(ctx)
    batches = list(stage.process(iter(()), ctx))
    assert [b.height for b in batches] == [10, 10, 5]
    ids = [i for b in batches for i in b["id"].to_list()]
    assert ids[:3] == ["many.jsonl:1", "x1", "many.jsonl:3"]
