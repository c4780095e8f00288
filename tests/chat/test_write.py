"""write_conversations: record shapes, split files, trace sidecars, determinism."""

from __future__ import annotations

import json

import polars as pl
import pytest

from dataprep.chat.schema import SAMPLE_SCHEMA
from dataprep.chat.write import sidecar_path
from dataprep.context import RunContext
from dataprep.recipe import Recipe, StageSpec
from dataprep.runner import build_stages, run_recipe
from tests.chat.helpers import FrameSource

MESSAGES = [
    {"role": "system", "content": "Be Colin."},
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": 'héllo "you"'},
]


def samples(n: int = 3, split: bool = False) -> pl.DataFrame:
    rows = [
        {
            "id": f"id{i}",
            "group": f"g{i}",
            "messages": MESSAGES,
            "speakers": ["Ann", "Colin"],
            "source": f"chat.txt:{i}-{i + 1}",
        }
        for i in range(n)
    ]
    frame = pl.DataFrame(rows, schema=SAMPLE_SCHEMA)
    if split:
        frame = frame.with_columns(pl.Series("split", ["train", "val", "test"][:n]))
    return frame


def write(tmp_path, frame, out_name="train.jsonl", **params):
    recipe = Recipe(name="t", stages=[StageSpec(stage="write_conversations", params=params)])
    ctx = RunContext(output=tmp_path / out_name)
    return run_recipe(recipe, ctx, stages=[("src", FrameSource([frame])), *build_stages(recipe)])


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_sharegpt_shape(tmp_path):
    write(tmp_path, samples(1))
    (record,) = read_jsonl(tmp_path / "train.jsonl")
    assert record == {
        "conversations": [
            {"from": "system", "value": "Be Colin."},
            {"from": "human", "value": "hi"},
            {"from": "gpt", "value": 'héllo "you"'},
        ]
    }
    # Non-ASCII is written as UTF-8, not \u escapes.
    assert "héllo" in (tmp_path / "train.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["openai", "trl"])
def test_messages_shape(tmp_path, fmt):
    write(tmp_path, samples(1), output_format=fmt)
    assert read_jsonl(tmp_path / "train.jsonl") == [{"messages": MESSAGES}]


def test_sidecar_traces_each_line(tmp_path):
    write(tmp_path, samples(2))
    trace = read_jsonl(sidecar_path(tmp_path / "train.jsonl"))
    assert trace == [
        {"id": "id0", "group": "g0", "source": "chat.txt:0-1"},
        {"id": "id1", "group": "g1", "source": "chat.txt:1-2"},
    ]


def test_trace_field_mode(tmp_path):
    write(tmp_path, samples(1), trace="field")
    (record,) = read_jsonl(tmp_path / "train.jsonl")
    assert record["id"] == "id0" and record["source"] == "chat.txt:0-1"
    assert not sidecar_path(tmp_path / "train.jsonl").exists()


@pytest.mark.parametrize(
    ("out_name", "expected"),
    [
        ("train.jsonl", ["train.jsonl", "val.jsonl", "test.jsonl"]),
        ("chats.jsonl", ["chats.jsonl", "chats.val.jsonl", "chats.test.jsonl"]),
    ],
    ids=["train-stem", "other-stem"],
)
def test_split_column_writes_one_file_per_split(tmp_path, out_name, expected):
    write(tmp_path, samples(3, split=True), out_name=out_name)
    for name, sample_id in zip(expected, ["id0", "id1", "id2"], strict=True):
        assert len(read_jsonl(tmp_path / name)) == 1
        trace = read_jsonl(sidecar_path(tmp_path / name))
        assert trace[0]["id"] == sample_id


def test_preference_rows_in_each_format(tmp_path):
    prompt = [{"role": "user", "content": "q"}]
    frame = pl.DataFrame(
        [
            {
                "id": "p",
                "group": "g",
                "messages": prompt,
                "speakers": [],
                "source": "s",
                "chosen": [{"role": "assistant", "content": "good"}],
                "rejected": [{"role": "assistant", "content": "bad"}],
            }
        ]
    )
    write(tmp_path, frame, out_name="a.jsonl", output_format="trl")
    assert read_jsonl(tmp_path / "a.jsonl") == [
        {
            "prompt": prompt,
            "chosen": [{"role": "assistant", "content": "good"}],
            "rejected": [{"role": "assistant", "content": "bad"}],
        }
    ]
    write(tmp_path, frame, out_name="b.jsonl", output_format="sharegpt")
    assert read_jsonl(tmp_path / "b.jsonl") == [
        {
            "conversations": [{"from": "human", "value": "q"}],
            "chosen": {"from": "gpt", "value": "good"},
            "rejected": {"from": "gpt", "value": "bad"},
        }
    ]
    write(tmp_path, frame, out_name="c.jsonl", output_format="openai")
    assert read_jsonl(tmp_path / "c.jsonl") == [
        {
            "input": {"messages": prompt},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}],
        }
    ]


def test_few_samples_warns_and_empty_output_still_exists(tmp_path):
    result = write(tmp_path, samples(0))
    assert (tmp_path / "train.jsonl").read_text() == ""
    assert any("only 0 samples" in w for w in result.report["warnings"])


def test_same_input_gives_identical_bytes(tmp_path):
    write(tmp_path, samples(3), out_name="one.jsonl")
    write(tmp_path, samples(3), out_name="two.jsonl")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
