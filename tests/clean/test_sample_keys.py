"""One MinHash pass per run: split reuses what dedupe computed unless the turns changed."""

from __future__ import annotations

import json
import threading

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean import minhash
from dataprep.clean.dedupe import DedupeStage
from dataprep.clean.split import SplitStage
from dataprep.clean.text import normalize_expr, normalize_text
from dataprep.context import RunContext
from tests.clean.helpers import frame, run_stage, sample
from tests.clean.test_split import conversations


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the texts each ``MinHasher.signatures`` call of the stages hashes (not the
    background load of the kernel)."""
    counts: list[int] = []
    original = minhash.MinHasher.signatures

    def counting(self: minhash.MinHasher, texts: list[str]):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():
            counts.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(minhash.MinHasher, "signatures", counting)
    return counts


def test_split_reuses_the_signatures_dedupe_computed(hashed: list[int]) -> None:
    rows = conversations(120)
    deduped, _ = run_stage(DedupeStage(), [frame(rows[:60]), frame(rows[60:])])
    hashed_by_dedupe = sum(hashed)
    assert hashed_by_dedupe == 120
    assert any(c.startswith("__minhash") for c in deduped.columns)
    out, _ = run_stage(SplitStage(), [deduped])
    assert sum(hashed) == hashed_by_dedupe  # split hashed nothing
    assert not [c for c in out.columns if c.startswith("__")]
    # The same assignment as a split that computes everything itself.
    alone, _ = run_stage(SplitStage(), [frame(rows)])
    assert out.select("id", "split").sort("id").equals(alone.select("id", "split").sort("id"))


def test_a_sample_changed_between_the_stages_is_hashed_again(hashed: list[int]) -> None:
    rows = conversations(40)
    deduped, _ = run_stage(DedupeStage(), [frame(rows)])
    # What PII scrubbing does: rewrite one sample's turns in place.
    scrubbed = deduped.with_columns(
        pl.when(pl.col("id") == "s7")
        .then(
            pl.col("messages").list.eval(
                pl.element().struct.with_fields(content=pl.lit("<PERSON> said hi"))
            )
        )
        .otherwise(pl.col("messages"))
        .alias("messages")
    )
    before = sum(hashed)
    out, _ = run_stage(SplitStage(), [scrubbed])
    assert sum(hashed) - before == 1
    alone, _ = run_stage(SplitStage(), [scrubbed.select(pl.exclude("^__.*$"))])
    assert out.select("id", "split").sort("id").equals(alone.select("id", "split").sort("id"))


def test_internal_columns_never_reach_rejects(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rejects = tmp_path / "rejects.jsonl"
    ctx = RunContext(rejects_path=rejects)
    text = "we should meet at the station at nine and then take the train to the coast"
    rows = [sample(i, ("user", text), ("assistant", "sure, see you there")) for i in range(3)]
    run_stage(DedupeStage(), [frame(rows)], ctx)
    ctx.commit({}, None)
    records = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    assert not [key for record in records for key in record if key.startswith("__")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aB z\n\t\r  éＡ\u00a0\u2003ß.İ1")), max_size=30))
def test_the_ascii_shortcut_normalises_like_the_full_rule(text: str) -> None:
    found = pl.Series([text]).to_frame("t").select(normalize_expr(pl.col("t"))).item()
    assert found == normalize_text(text)
