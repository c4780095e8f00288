"""The pure rules: number spelling for LJSpeech, the English-only language rule, the split."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprep.voice.filters import (
    FilterThresholds,
    english_only_rule,
    file_language_signals,
    neighbourhood_word_probability,
)
from dataprep.voice.normalize import normalize_numbers
from dataprep.voice.write_stages import split_by_source


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Printed in 1455, the 15th of May.", "Printed in fourteen fifty-five, the fifteenth of May."),
        ("en", "It cost $5 and £3.50, up 12%.", "It cost five dollars and three pounds sterling, fifty pence, up twelve percent."),
        ("en", "On 2020-12-25 we met 2,000 people.", "On December twenty-fifth, twenty twenty we met two thousand people."),
        ("de", "Am 15. Mai kostete es 5 €.", "Am fünfzehnte Mai kostete es fünf Euro."),
        ("fr", "Le 1er mai, 25 personnes.", "Le premier mai, vingt-cinq personnes."),
        ("es", "El 2º día, 40 €.", "El segundo día, cuarenta euros."),
        ("pt", "O 2º dia custa 4 €.", "O segundo dia custa quatro euros."),
        ("it", "Il 3º giorno, 10 €.", "Il terzo giorno, dieci euro."),
        ("ru", "Пришли 5 человек.", "Пришли пять человек."),
        # num2words 0.5 has no Chinese: digits stay (Whisper writes Chinese numbers in digits).
        ("zh", "第3章", "第3章"),
        ("ja", "第3章に100人", "第三章に百人"),
        ("en", "No digits here.", "No digits here."),
        ("xx", "Unknown language 42.", "Unknown language 42."),
    ],
    ids=["en-year-ordinal", "en-currency", "en-date", "de", "fr", "es", "pt", "it", "ru", "zh", "ja", "none", "unknown"],
)  # fmt: skip
def test_numbers_are_spelled_out_in_the_clip_language(
    language: str, text: str, expected: str
) -> None:
    assert normalize_numbers(text, language) == expected


@given(st.text(max_size=60))
def test_normalized_text_never_keeps_a_digit_in_english(text: str) -> None:
    out = normalize_numbers(text, "en")
    assert not any(ch in "0123456789" for ch in out)


def judge(
    texts: list[str], probabilities: list[float | None], english_only: bool = True
) -> list[bool]:
    counts = [len(t.split()) for t in texts]
    frame = pl.DataFrame(
        {
            "text": texts,
            "word_probability": probabilities,
            "word_count": counts,
            "english_only_model": [english_only] * len(texts),
            "start": [5.0 * i for i in range(len(texts))],
        }
    ).with_columns(*file_language_signals(texts))
    return frame.select(english_only_rule(FilterThresholds())).to_series().to_list()


@pytest.mark.parametrize(
    ("texts", "probabilities", "expected"),
    [
        (["A clear English sentence."] * 3, [0.92, 0.85, 0.95], [True, True, True]),
        (["Unsure guess words here."] * 3, [0.45, 0.5, 0.4], [False, False, False]),
        # One unsure clip in an English file: a switch of language.
        (["Clear words.", "Yiddam tzufa fie.", "Clear words."], [0.95, 0.4, 0.95], [True, False, True]),
        # A half-trusted clip (0.5-0.6) among sure English clips stays ...
        (["Clear words."] * 2 + ["Horse yet plaintive."] + ["Clear words."] * 2,
         [0.95, 0.95, 0.55, 0.95, 0.95], [True] * 5),
        # ... but among unsure ones it is part of a stretch in another language.
        (["Clear words."] * 3 + ["Yiddam tzufa.", "Where tae mit.", "Zugu joo ringin."],
         [0.97, 0.96, 0.98, 0.42, 0.55, 0.45], [True, True, True, False, False, False]),
        # Mostly no words at all: the model could not hear English.
        (["", "", "Thank you."], [None, None, 0.9], [False, False, False]),
        # A transcript looping on one phrase (tiny.en on Japanese).
        (["Chinese letter, " * 20] * 2, [0.97, 0.98], [False, False]),
        # An hour of the same few English sentences is not a loop.
        ([f"Sentence number {i % 7} says something {'else' if i % 2 else 'new'} about the river bank today."
          for i in range(400)], [0.9] * 400, [True] * 400),
    ],
    ids=["english", "unsure-file", "switch", "unsure-english-clip", "switched-stretch", "empty", "loop", "long-repeated-english"],
)  # fmt: skip
def test_english_only_language_rule(
    texts: list[str], probabilities: list[float | None], expected: list[bool]
) -> None:
    assert judge(texts, probabilities) == expected
    assert judge(texts, probabilities, english_only=False) == [True] * len(texts)


@pytest.mark.parametrize(
    ("starts", "probabilities", "counts", "expected"),
    [
        ([0.0, 5.0, 10.0], [0.9, 0.3, 0.6], [10, 10, 10], [0.6, 0.6, 0.45]),
        # Weighted by words; a clip without words (None) counts for nothing.
        ([0.0, 5.0, 10.0], [0.9, None, 0.3], [3, 0, 1], [0.9, 0.75, 0.3]),
        # Rows out of time order: neighbours are by start, not by row.
        ([10.0, 0.0, 5.0], [0.6, 0.9, 0.3], [10, 10, 10], [0.45, 0.6, 0.6]),
        ([0.0], [None], [0], [None]),
    ],
    ids=["mean-of-three", "weighted", "unordered", "no-words"],
)
def test_neighbourhood_word_probability(
    starts: list[float],
    probabilities: list[float | None],
    counts: list[int],
    expected: list[float | None],
) -> None:
    frame = pl.DataFrame(
        {"start": starts, "word_probability": probabilities, "word_count": counts},
        schema={"start": pl.Float64, "word_probability": pl.Float64, "word_count": pl.Int64},
    )
    found = frame.select(neighbourhood_word_probability()).to_series().to_list()
    assert found == pytest.approx(expected)


@given(
    st.lists(
        st.sampled_from(["a.wav", "b.wav", "c/d.wav", "e.wav", "f.wav"]), min_size=1, max_size=40
    ),
    st.floats(min_value=0.05, max_value=0.9),
    st.integers(0, 5),
)
def test_validation_split_is_deterministic_disjoint_and_keeps_files_whole(
    relpaths: list[str], fraction: float, seed: int
) -> None:
    rows = pl.DataFrame({"relpath": relpaths, "clip_path": [str(i) for i in range(len(relpaths))]})
    train, validation = split_by_source(rows, fraction, seed)
    again = split_by_source(rows, fraction, seed)
    if len(set(relpaths)) < 2:
        assert validation is None and train.height == rows.height
        return
    assert validation is not None and again[1] is not None
    assert validation.equals(again[1])
    assert train.height + validation.height == rows.height and train.height and validation.height
    assert not set(train["relpath"]) & set(validation["relpath"])
