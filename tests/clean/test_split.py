"""Leakage-safe splits: per group, near-duplicate clusters kept together, stable, seeded."""

from __future__ import annotations

import random
from collections import Counter

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.minhash import exact_jaccard
from dataprep.clean.split import SplitStage, split_of
from dataprep.clean.text import normalize_text
from dataprep.context import RunContext
from dataprep.errors import ConfigError
from tests.clean.helpers import frame, run_stage, sample

TOPICS = [
    "train",
    "coffee",
    "hike",
    "dinner",
    "photos",
    "meeting",
    "weekend",
    "station",
    "lunch",
    "movie",
]


def conversations(count: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        words = " ".join(rng.choice(TOPICS) + str(rng.randint(0, 9999)) for _ in range(12))
        rows.append(
            sample(
                i,
                ("user", words),
                ("assistant", f"answer {i} {rng.random():.6f}"),
                group=f"session{i // 3}",
            )
        )
    return rows


def split(
    rows: list[dict], seed: int = 0, batch_size: int = 50, **params: object
) -> tuple[pl.DataFrame, RunContext]:
    batches = [frame(rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)]
    return run_stage(SplitStage(params), batches, RunContext(seed=seed))


def test_groups_stay_together_and_ratios_hold() -> None:
    out, ctx = split(conversations(3000), train=0.8, val=0.1, test=0.1, near=False)
    assert out.height == 3000
    per_group = out.group_by("group").agg(pl.col("split").n_unique().alias("n"))
    assert per_group["n"].max() == 1
    shares = Counter(out.unique("group")["split"].to_list())
    assert abs(shares["train"] / 1000 - 0.8) < 0.04 and abs(shares["val"] / 1000 - 0.1) < 0.03
    report = ctx.report["split"]
    assert sum(s["samples"] for s in report["splits"].values()) == 3000
    assert report["cross_split_exact_duplicate_groups"] == 0


def test_near_duplicates_never_cross_splits() -> None:
    """Checked independently: exact Jaccard of every pair of samples in different splits."""
    rows = conversations(200)
    rng = random.Random(5)
    for i in range(60):
        original = rows[rng.randrange(len(rows))]
        text = original["messages"][0]["content"]
        edited = text[: len(text) // 2] + text[len(text) // 2 :].replace("1", "7", 1)
        rows.append(
            sample(
                f"dup{i}",
                ("user", edited),
                ("assistant", original["messages"][1]["content"]),
                group=f"other{i}",
            )
        )
    out, ctx = split(rows, train=0.6, val=0.2, test=0.2)
    texts = [
        normalize_text("\n".join(m["content"] for m in msgs)) for msgs in out["messages"].to_list()
    ]
    splits = out["split"].to_list()
    crossing = [
        (a, b)
        for a in range(len(texts))
        for b in range(a + 1, len(texts))
        if splits[a] != splits[b] and exact_jaccard(texts[a], texts[b], 5) >= 0.7
    ]
    assert crossing == []
    assert ctx.report["split"]["merged_groups"] < ctx.report["split"]["source_groups"]
    assert ctx.report["split"]["cross_split_near_duplicate_pairs"] == 0


def test_exact_duplicates_in_different_sessions_share_a_split() -> None:
    rows = [
        sample(i, ("user", "see you at the station at nine"), ("assistant", "ok!"), group=f"s{i}")
        for i in range(40)
    ]
    out, _ = split(rows, train=0.34, val=0.33, test=0.33, near=False)
    assert out["split"].n_unique() == 1


def test_assignment_is_deterministic_and_stable_when_data_is_added() -> None:
    rows = conversations(600)
    first, _ = split(rows, seed=11)
    again, _ = split(rows, seed=11, batch_size=7)
    assert first["split"].to_list() == again["split"].to_list()
    grown, _ = split(rows + conversations(300, seed=99), seed=11)
    assert grown["split"].to_list()[: len(rows)] == first["split"].to_list()
    reseeded, _ = split(rows, seed=12)
    assert reseeded["split"].to_list() != first["split"].to_list()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 8), st.sampled_from(TOPICS)), min_size=1, max_size=40),
    st.integers(0, 3),
)
def test_split_is_a_disjoint_cover_keeping_groups(items: list[tuple[int, str]], seed: int) -> None:
    rows = [
        sample(i, ("user", f"{topic} {i}"), group=f"g{group}")
        for i, (group, topic) in enumerate(items)
    ]
    out, _ = split(rows, seed=seed, batch_size=9)
    assert out["id"].to_list() == [r["id"] for r in rows]
    assert set(out["split"]) <= {"train", "val", "test"}
    assert out.group_by("group").agg(pl.col("split").n_unique())["split"].max() == 1


def test_missing_group_falls_back_to_the_id() -> None:
    rows = [
        {**sample(i, ("user", f"message {i} {TOPICS[i % 10]}")), "group": None} for i in range(30)
    ]
    out, ctx = split(rows, near=False)
    assert out.height == 30 and ctx.report["split"]["source_groups"] == 30


def test_split_of_is_a_pure_function() -> None:
    assert split_of("chat.txt#3", 0, (0.9, 0.05, 0.05)) == split_of(
        "chat.txt#3", 0, (0.9, 0.05, 0.05)
    )
    assert split_of("x", 0, (1.0, 0.0, 0.0)) == "train"
    assert split_of("x", 0, (0.0, 0.0, 1.0)) == "test"


@pytest.mark.parametrize(
    "ratios",
    [{"train": 0.9, "val": 0.2, "test": 0.05}, {"train": 0.5, "val": 0.1, "test": 0.1}],
    ids=["over", "under"],
)
def test_ratios_must_add_up(ratios: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="must be 1"):
        SplitStage(ratios)
