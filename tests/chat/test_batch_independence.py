"""The output of `dataprep chat` does not depend on the batch size (the stage contract).

Every reader's fixtures run at batch sizes 1, 5, 1,000 and unbounded and must give the same
bytes; a Hypothesis test cuts the message stream at arbitrary places (not only where the
batcher would) and checks that the chat stages still give the same samples.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.chat.batching import session_batches, session_starts
from tests.chat.helpers import chat, run_stages
from tests.conftest import FIXTURES, run_main

BATCH_SIZES = ("1", "5", "1000")
OUTPUTS = ("train.jsonl", "val.jsonl", "test.jsonl", "train.sources.jsonl")


def _long_whatsapp(path: Path) -> Path:
    """600 messages in 12 sessions; a third speaker joins in session 5 (group prefix)."""
    lines = []
    when = datetime(2024, 1, 5, 8, 0)
    for number in range(600):
        if number % 50 == 0:
            when += timedelta(hours=7)
        when += timedelta(minutes=2)
        speaker = "Colin" if number % 2 else ("Dana" if number > 240 and number % 3 == 0 else "Ana")
        stamp = when.strftime("%d/%m/%Y, %H:%M")
        lines.append(f"{stamp} - {speaker}: message {number} about the trip")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _long_telegram(path: Path, count: int = 400, session: int = 50) -> Path:
    """A Telegram export of one chat: ``count`` messages in sessions of ``session``."""
    messages = []
    when = datetime(2024, 2, 1, 9, 0)
    for number in range(count):
        if number % session == 0:
            when += timedelta(hours=5)
        when += timedelta(minutes=1)
        sender = "Colin" if number % 3 else "Hana"
        messages.append(
            {
                "id": number + 1,
                "type": "message",
                "date": when.isoformat(),
                "from": sender,
                "from_id": f"user{len(sender)}",
                "text": f"note {number}",
            }
        )
    document = {"name": "Hana", "type": "personal_chat", "id": 42, "messages": messages}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _inputs(tmp_path: Path) -> dict[str, Path]:
    inputs = {
        name: FIXTURES / "chat" / name
        for name in ("whatsapp", "telegram", "discord", "slack", "wechat", "generic")
    }
    inputs["whatsapp_long"] = _long_whatsapp(tmp_path / "long_chat.txt")
    inputs["telegram_long"] = _long_telegram(tmp_path / "result.json")
    return inputs


def _run(source: Path, out: Path, batch_rows: str) -> dict[str, str]:
    code, _, err = run_main(
        "chat", source, "--me", "Colin", "--no-pii", "--out", out / "train.jsonl", "-q",
        "--set", f"read_chat.batch_rows={batch_rows}",
    )  # fmt: skip
    assert code == 0, err
    return {
        name: (out / name).read_text(encoding="utf-8") for name in OUTPUTS if (out / name).exists()
    }


@pytest.mark.parametrize(
    "reader",
    [
        "whatsapp", "telegram", "discord", "slack", "wechat", "generic",
        "whatsapp_long", "telegram_long",
    ],
)  # fmt: skip
def test_output_bytes_do_not_depend_on_batch_size(tmp_path, reader):
    source = _inputs(tmp_path)[reader]
    unbounded = _run(source, tmp_path / "unbounded", "null")
    assert unbounded["train.jsonl"].strip(), "the fixture must produce samples"
    for size in BATCH_SIZES:
        assert _run(source, tmp_path / f"batch{size}", size) == unbounded, f"batch_rows={size}"


def test_long_chat_is_read_in_bounded_batches_cut_at_silences(tmp_path):
    source = _long_whatsapp(tmp_path / "chat.txt")
    code, _, err = run_main(
        "chat", source, "--me", "Colin", "--no-pii", "--no-dedupe", "--no-split",
        "--out", tmp_path / "out" / "train.jsonl", "-q", "--set", "read_chat.batch_rows=100",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "train.report.json").read_text())
    # 600 messages in sessions of 50: batches of 100 rows, each ending at a session start.
    assert report["stages"]["read_chat"]["batches"] == 6


@pytest.mark.slow
def test_sixty_thousand_message_telegram_chat_gives_the_same_samples_at_any_batch_size(tmp_path):
    """The case from the issue: 60,000 messages of one chat, default batches vs one batch."""
    source = _long_telegram(tmp_path / "result.json", count=60_000, session=37)
    outputs = {}
    for size in ("50000", "null"):
        out = tmp_path / size
        code, _, err = run_main(
            "chat", source, "--me", "Colin", "--no-pii", "--no-dedupe", "--no-split",
            "--out", out / "train.jsonl", "-q", "--set", f"read_chat.batch_rows={size}",
        )  # fmt: skip
        assert code == 0, err
        outputs[size] = (out / "train.jsonl").read_bytes() + (
            out / "train.sources.jsonl"
        ).read_bytes()
    assert outputs["50000"] == outputs["null"]
    assert outputs["null"].count(b"\n") > 2 * 1000


def _frame(messages: list[tuple[int, int, str]]) -> pl.DataFrame:
    frames = []
    minute = 0
    for index, (gap, conversation, speaker) in enumerate(messages):
        minute += gap
        frames.append(
            chat(
                (minute, speaker, f"m{index} hello"), conversation=f"c{conversation}"
            ).with_columns(pl.lit(index + 1, dtype=pl.Int64).alias("source_line"))
        )
    return pl.concat(frames)


_MESSAGE = st.tuples(
    st.sampled_from([0, 1, 5, 90, 200]),  # minutes since the previous message
    st.sampled_from([1, 1, 1, 2]),  # conversation (mostly contiguous)
    st.sampled_from(["Ann", "Colin", "Colin", "Bea"]),
)
_STAGES = [
    ("clean_messages", {}),
    ("assign_roles", {"me": ["Colin"]}),
    ("sessionize", {}),
    ("build_samples", {"max_turns": 4}),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MESSAGE, min_size=2, max_size=40), st.data())
def test_any_cut_of_the_stream_gives_the_same_samples(messages, data):
    whole = _frame([(0, 1, "Colin"), *messages])
    cuts = sorted(
        set(data.draw(st.lists(st.integers(1, whole.height - 1), max_size=6), label="cuts"))
    )
    pieces = [
        whole.slice(a, b - a) for a, b in zip([0, *cuts], [*cuts, whole.height], strict=False)
    ]
    _, reference = run_stages([whole], _STAGES)
    _, cut = run_stages(pieces, _STAGES)
    assert cut.frame.to_dicts() == reference.frame.to_dicts()


@settings(max_examples=60, deadline=None)
@given(st.lists(_MESSAGE, min_size=1, max_size=60), st.integers(1, 12))
def test_batcher_cuts_only_at_session_starts(messages, rows):
    whole = _frame(messages)
    pieces = list(session_batches([whole.slice(0, 7), whole.slice(7)], rows, 60))
    assert pl.concat(pieces).equals(whole)
    starts = whole.select(session_starts(whole, 60)).to_series().to_list()
    offset = 0
    for piece in pieces:
        assert starts[offset], "a batch must begin where a session begins"
        offset += piece.height
    assert all(p.height >= rows for p in pieces[:-1])


def test_group_prefix_starts_with_the_session_that_has_a_third_speaker():
    frame = chat(
        (0, "Ann", "hi"), (1, "Colin", "hello"),
        (200, "Ann", "again"), (201, "Bob", "me too"), (202, "Colin", "both of you"),
    )  # fmt: skip
    _, sink = run_stages([frame.slice(0, 3), frame.slice(3)], _STAGES[:3])
    texts = sink.frame.get_column("text").to_list()
    assert texts == ["hi", "hello", "Ann: again\nBob: me too", "both of you"]
