"""The dedupe stage: exact, near, repeated replies; survivors and duplicate_of ids."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.dedupe import DedupeStage
from dataprep.context import RunContext
from dataprep.errors import ConfigError
from tests.clean.helpers import frame, run_stage, sample

TRIP = "Hi, I'm planning a trip to Lisbon next spring with two friends. Where should we stay and what should we see?"
ANSWER = "Alfama and Baixa are central; see Belem, the tram 28 line and a fado evening."


def dedupe(
    rows: list[dict], batch_size: int = 100, **params: object
) -> tuple[list[str], dict[str, tuple[str, str | None]], RunContext]:
    """Run dedupe in batches; return kept ids and {rejected id: (reason, duplicate_of)}."""
    captured: list[dict] = []

    class Capture(RunContext):
        def reject(self, stage: str, rows: pl.DataFrame, reason: str | None = None) -> None:
            super().reject(stage, rows, reason)
            captured.extend(rows.to_dicts())

    batches = [frame(rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)]
    out, ctx = run_stage(DedupeStage(params), batches, Capture())
    return out["id"].to_list(), {r["id"]: (r["reason"], r["duplicate_of"]) for r in captured}, ctx


@pytest.mark.parametrize(
    "variant",
    [
        TRIP.upper(),
        TRIP.replace(" ", "   "),
        TRIP.replace("Lisbon", "Ｌｉｓｂｏｎ"),
        "  " + TRIP + "\n",
    ],
    ids=["case", "whitespace", "fullwidth-nfkc", "padding"],
)
def test_exact_duplicates_after_normalisation(variant: str) -> None:
    rows = [
        sample(0, ("user", TRIP), ("assistant", ANSWER)),
        sample(1, ("user", variant), ("assistant", ANSWER)),
    ]
    kept, rejected, _ = dedupe(rows, near=False)
    assert kept == ["s0"]
    assert rejected == {"s1": ("exact_duplicate", "s0")}


def test_near_duplicates_name_the_survivor() -> None:
    rows = [
        sample(
            0,
            ("user", "unrelated question about octopus hearts and blue blood"),
            ("assistant", "three hearts"),
        ),
        sample(1, ("user", TRIP), ("assistant", ANSWER)),
        sample(2, ("user", TRIP.replace("two friends", "two friends!")), ("assistant", ANSWER)),
        sample(
            3,
            ("user", TRIP.replace("next spring", "next summer")),
            ("assistant", ANSWER + " Enjoy!"),
        ),
    ]
    kept, rejected, ctx = dedupe(rows, batch_size=2)
    assert kept == ["s0", "s1"]
    assert rejected == {"s2": ("near_duplicate", "s1"), "s3": ("near_duplicate", "s1")}
    assert ctx.report["dedupe"]["near_duplicates"] == 2


def test_exact_copy_of_a_near_duplicate_names_the_survivor() -> None:
    near = TRIP.replace("two friends", "two friends!")
    rows = [
        sample(0, ("user", TRIP), ("assistant", ANSWER)),
        sample(1, ("user", near), ("assistant", ANSWER)),
        sample(2, ("user", near.upper()), ("assistant", ANSWER)),
    ]
    kept, rejected, _ = dedupe(rows)
    assert kept == ["s0"]
    assert rejected == {"s1": ("near_duplicate", "s0"), "s2": ("exact_duplicate", "s0")}


def test_roles_differ_means_not_an_exact_duplicate() -> None:
    rows = [
        sample(0, ("user", TRIP), ("assistant", ANSWER)),
        sample(1, ("assistant", TRIP), ("user", ANSWER)),
    ]
    kept, _, _ = dedupe(rows, near=False)
    assert kept == ["s0", "s1"]


def test_short_conversations_are_not_all_duplicates() -> None:
    rows = [sample(i, ("user", word)) for i, word in enumerate(["cat", "dog", "cat", "hi", "yo"])]
    kept, rejected, _ = dedupe(rows, max_reply_repeats=0)
    assert kept == ["s0", "s1", "s3", "s4"]
    assert rejected == {"s2": ("exact_duplicate", "s0")}


def test_chinese_near_duplicates_use_character_shingles() -> None:
    text = "我们明天早上九点在火车站见面，然后一起坐车去海边，记得带上雨伞和相机。"
    rows = [sample(0, ("user", text)), sample(1, ("user", text.replace("九点", "十点")))]
    kept, rejected, _ = dedupe(rows, threshold=0.7)
    assert kept == ["s0"] and rejected["s1"] == ("near_duplicate", "s0")


def test_repeated_replies_are_capped() -> None:
    rows = [
        sample(i, ("user", f"question {i} about topic {i * 7}"), ("assistant", "ok"))
        for i in range(6)
    ]
    rows.append(
        sample(
            6,
            ("user", "another question entirely"),
            ("assistant", "Sure, here is a longer answer."),
        )
    )
    kept, rejected, _ = dedupe(rows, max_reply_repeats=2, near=False)
    assert kept == ["s0", "s1", "s6"]
    assert {k: v for k, v in rejected.items()} == {
        f"s{i}": ("repeated_reply", "s0") for i in range(2, 6)
    }


def test_empty_samples_are_rejected() -> None:
    rows = [sample(0, ("user", "  "), ("assistant", "")), sample(1, ("user", "hello there"))]
    kept, rejected, _ = dedupe(rows)
    assert kept == ["s1"] and rejected == {"s0": ("empty_text", None)}


def test_preference_rows_compare_chosen_and_rejected() -> None:
    schema = {
        **frame([]).schema,
        "chosen": pl.List(pl.Struct({"role": pl.Utf8, "content": pl.Utf8})),
        "rejected": pl.List(pl.Struct({"role": pl.Utf8, "content": pl.Utf8})),
    }
    rows = [
        {
            **sample(0, ("user", "greet me")),
            "chosen": [{"role": "assistant", "content": "Hello!"}],
            "rejected": [{"role": "assistant", "content": "no"}],
        },
        {
            **sample(1, ("user", "greet me")),
            "chosen": [{"role": "assistant", "content": "Hello!"}],
            "rejected": [{"role": "assistant", "content": "go away"}],
        },
        {
            **sample(2, ("user", "greet me")),
            "chosen": [{"role": "assistant", "content": "Hello!"}],
            "rejected": [{"role": "assistant", "content": "no"}],
        },
    ]
    out, _ = run_stage(DedupeStage({"near": False}), [pl.DataFrame(rows, schema=schema)])
    assert out["id"].to_list() == ["s0", "s1"]


def test_bands_must_fit_in_the_permutations() -> None:
    with pytest.raises(ConfigError, match="exceeds num_perm"):
        DedupeStage({"num_perm": 64, "bands": 20, "rows": 6})


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"dedupe\.treshold: unknown parameter"):
        DedupeStage({"treshold": 0.5})


WORDS = st.sampled_from(
    ["ok", "haha", "see you", "at the station", "tomorrow at nine", "lunch?", "yes", "我们", "见面"]
)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(WORDS, min_size=1, max_size=6), min_size=1, max_size=25), st.integers(1, 7)
)
def test_dedupe_never_adds_rows_and_keeps_order(texts: list[list[str]], batch_size: int) -> None:
    rows = [
        sample(i, ("user", " ".join(words)), ("assistant", words[0]))
        for i, words in enumerate(texts)
    ]
    kept, rejected, _ = dedupe(rows, batch_size=batch_size, max_reply_repeats=3)
    ids = [r["id"] for r in rows]
    assert len(kept) + len(rejected) == len(rows)
    assert kept == [i for i in ids if i in set(kept)]
    assert set(kept).isdisjoint(rejected)
    for reason, original in rejected.values():
        assert reason == "empty_text" or original in kept
    # Batching does not change the result.
    assert dedupe(rows, batch_size=len(rows), max_reply_repeats=3)[0] == kept
