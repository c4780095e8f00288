"""Person-name rules without a NER model: Russian foreign names and Chinese name tags (pii)."""

from __future__ import annotations

import pytest

from dataprep.clean.lexicon import is_given_name
from dataprep.clean.person_names import find_gazetteer_names


def _names(text: str, language: str) -> list[str]:
    return [text[start:end] for start, end in find_gazetteer_names(text, language)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Том оставил Мэри короткое сообщение.", ["Том", "Мэри"]),
        ("Тому нравятся большие машины.", ["Тому"]),
        ("Том, как и я, художник.", ["Том"]),
        ("Мы знали, что Том говорит правду.", ["Том"]),
        ("Нам надо всё рассказать Тому.", ["Тому"]),
        ("Мэри понравилась Тому сразу.", ["Мэри", "Тому"]),
        ("Я видел Джона и Дэвида вчера.", ["Джона", "Дэвида"]),
        ("На Татоэбе есть учитель по имени Тепан.", ["Тепан"]),
    ],
    ids=[
        "tom-mary",
        "tomu-opens",
        "tom-comma",
        "tom-mid",
        "tomu-end",
        "mary-tomu",
        "cases",
        "po-imeni",
    ],
)
def test_russian_foreign_given_names_and_their_case_forms(text: str, expected: list[str]) -> None:
    assert _names(text, "ru") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Том второй вышел в прошлом году.",
        "Том 2 лежит на полке.",
        "Тому, кто рано встаёт, бог подаёт.",
        "Тому назад лет десять здесь был лес.",
        "Тому подобное случается часто.",
        "Мы учимся тому, чего не знаем.",
        "Я думаю о том, что будет завтра.",
    ],
    ids=[
        "volume-ordinal",
        "volume-number",
        "tomu-relative",
        "tomu-ago",
        "tomu-such",
        "lower",
        "v-tom",
    ],
)
def test_russian_words_that_are_also_names_keep_their_ordinary_reading(text: str) -> None:
    assert _names(text, "ru") == []


@pytest.mark.parametrize("word", ["Мэри", "Джеймс", "Дэвидом", "Кэтрин", "Элис"])
def test_conventional_russian_spellings_of_foreign_names_are_known(word: str) -> None:
    assert is_given_name(word, "ru")
