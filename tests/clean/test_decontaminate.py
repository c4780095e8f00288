"""Decontamination against user evaluation files: word and CJK character n-grams, exact."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.decontaminate import DecontaminateStage, EvalIndex
from dataprep.errors import InputError
from tests.clean.helpers import frame, run_stage, sample

QUESTION = "Which planet in our solar system has the largest number of confirmed moons according to recent counts?"


def index(*texts: str) -> EvalIndex:
    built = EvalIndex(words=13, chars=13, min_words=8, min_exact_chars=20)
    for text in texts:
        built.add(text)
    return built


@pytest.mark.parametrize(
    ("train_text", "hit"),
    [
        (
            "quiz: which planet in our solar system has the largest number of confirmed moons? no idea",
            True,
        ),
        (
            "Which planet, in our SOLAR system, has the largest number of confirmed moons according!",
            True,
        ),
        ("which planet in our solar system has the most rings", False),
        ("a totally different question about cooking pasta for dinner tonight with friends", False),
    ],
    ids=["13-gram-inside", "punctuation-and-case", "shorter-overlap", "unrelated"],
)
def test_word_ngrams(train_text: str, hit: bool) -> None:
    assert index(QUESTION).matches(train_text) is hit


def test_cjk_character_ngrams() -> None:
    eval_text = "太阳系中哪颗行星拥有最多的已确认卫星？请给出最新的统计结果。"
    built = index(eval_text)
    assert built.matches("顺便问一下，太阳系中哪颗行星拥有最多的已确认卫星？我忘了")
    assert not built.matches("太阳系中哪颗行星最大？")


def test_short_items_match_whole_and_exact_strings() -> None:
    built = index("the capital of australia is canberra not sydney", "Octopuses have three hearts.")
    assert built.matches("fun fact: The capital of Australia is Canberra, not Sydney!")
    assert built.matches("octopuses have  three hearts.")
    assert not built.matches("three hearts")


def write_eval(tmp_path: Path) -> Path:
    path = tmp_path / "eval.jsonl"
    path.write_text(
        json.dumps({"question": QUESTION, "answer": "Saturn", "meta": {"id": 3}}) + "\n",
        encoding="utf-8",
    )
    return path


def test_stage_drops_train_samples_only_and_reports(tmp_path: Path) -> None:
    path = write_eval(tmp_path)
    rows = [
        sample(0, ("user", QUESTION), ("assistant", "Saturn")),
        sample(1, ("user", QUESTION), ("assistant", "Saturn")),
        sample(2, ("user", "hello there"), ("assistant", "hi")),
    ]
    batch = frame(rows).with_columns(pl.Series("split", ["train", "test", "train"]))
    out, ctx = run_stage(DecontaminateStage({"eval_files": [str(path)]}), [batch])
    assert out["id"].to_list() == ["s1", "s2"]
    assert ctx.counts["decontaminate"].rejected == {"contaminated": 1}
    assert ctx.report["decontaminate"]["eval_files"]["eval.jsonl"] == {
        "items": 2,
        "removed_samples": 1,
    }


def test_missing_eval_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="evaluation file not found"):
        run_stage(
            DecontaminateStage({"eval_files": [str(tmp_path / "nope.jsonl")]}),
            [frame([sample(0, ("user", "x"))])],
        )


def reference_match(eval_texts: list[str], text: str) -> bool:
    """The rule written plainly (one Python set lookup per window), to check the vectorised one."""
    import string

    from dataprep.clean.text import normalize_text

    def tokens(value: str) -> list[str]:
        table = str.maketrans("", "", string.punctuation + "，。！？、；：“”‘’（）《》【】…")
        return value.lower().translate(table).split()

    exact = {normalize_text(t) for t in eval_texts if len(normalize_text(t)) >= 20}
    grams: set[tuple[str, ...]] = set()
    for value in eval_texts:
        found = tokens(value)
        if len(found) >= 13:
            grams.update(tuple(found[i : i + 13]) for i in range(len(found) - 12))
        elif len(found) >= 8:
            grams.add(tuple(found))
    found = tokens(text)
    sizes = {len(g) for g in grams}
    return normalize_text(text) in exact or any(
        tuple(found[i : i + n]) in grams for n in sizes for i in range(len(found) - n + 1)
    )


WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "saw", "dog", "Ran,", "far!"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=20), min_size=1, max_size=4),
    st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=30), min_size=1, max_size=8),
)
def test_batch_matching_agrees_with_the_plain_rule(
    eval_words: list[list[str]], train_words: list[list[str]]
) -> None:
    eval_texts = [" ".join(words) for words in eval_words]
    train = [" ".join(words) for words in train_words]
    built = index(*eval_texts)
    found = built.matching(pl.Series(train)).tolist()
    assert found == [reference_match(eval_texts, text) for text in train]
