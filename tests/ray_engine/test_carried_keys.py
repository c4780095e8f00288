"""``DedupeStage.carried_keys`` (what ``--engine ray`` computes on workers) changes nothing
in dedupe's and split's output; no Ray needed."""

from __future__ import annotations

import polars as pl

from dataprep.clean.conversations import ReadConversations
from dataprep.clean.dedupe import DedupeStage
from dataprep.clean.split import SplitStage
from dataprep.context import RunContext
from tests.conftest import FIXTURES

CONVERSATIONS = FIXTURES / "clean" / "conversations.jsonl"


def dedupe_and_split(tmp_path, carry: bool) -> tuple[pl.DataFrame, dict]:
    ctx = RunContext(inputs=[CONVERSATIONS], staging_dir=tmp_path)
    read = ReadConversations({"batch_size": 4})
    dedupe, split = DedupeStage(), SplitStage()
    for stage in (dedupe, split):
        stage.setup(ctx)
    batches = read.process(iter(()), ctx)
    if carry:
        batches = (dedupe.carried_keys(batch) for batch in batches)
    kept = pl.concat(list(split.process(dedupe.process(batches, ctx), ctx)))
    return kept, {"rejected": dict(ctx.counts["dedupe"].rejected), **ctx.report}


def test_carried_keys_give_the_same_dedupe_and_split(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, plain_report = dedupe_and_split(tmp_path / "a", carry=False)
    carried, carried_report = dedupe_and_split(tmp_path / "b", carry=True)
    assert carried.equals(plain)
    assert carried_report == plain_report
    assert plain_report["dedupe"]["near_duplicates"] >= 1


def test_carried_keys_keep_empty_samples_unsigned() -> None:
    batch = pl.DataFrame(
        {"id": ["a", "b"], "messages": [[{"role": "user", "content": "hello there"}], []]},
        schema_overrides={"messages": pl.List(pl.Struct({"role": pl.Utf8, "content": pl.Utf8}))},
    )
    dedupe = DedupeStage()
    carried = dedupe.carried_keys(batch)
    column = dedupe.params.signature_column(dedupe.params.seed)
    assert carried[column].is_null().to_list() == [False, True]
    assert dedupe.carried_keys(carried).equals(carried)  # already carried: unchanged
