"""Spelling out numbers for LJSpeech's "normalized transcription" column.

LJSpeech-style trainers (Coqui's ``ljspeech`` formatter) read the third column and feed it
to a phonemizer that does not expand digits, so "1455", "15th" and "$5" are written as
words in the clip's language with num2words: currency amounts, ordinals, dates, years,
percentages and plain numbers. Languages num2words does not know keep their digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dataprep.deps import require

__all__ = ["normalize_numbers"]

#: Currency symbols and the ISO code num2words expects.
_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB"}
_SYMBOL = "|".join(re.escape(s) for s in _CURRENCIES)
_AMOUNT = r"\d+(?:[.,]\d{1,2})?"
_CURRENCY_BEFORE = re.compile(rf"({_SYMBOL})\s?({_AMOUNT})")
_CURRENCY_AFTER = re.compile(rf"({_AMOUNT})\s?({_SYMBOL})")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")
#: Ordinal suffixes per language (English 15th, French 15e/1er, Spanish/Italian/Portuguese 15º).
_ORDINAL = {
    "en": re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(\d+)(?:er|re|e|ème)\b"),
    "es": re.compile(r"\b(\d+)[ºª°]"),
    "it": re.compile(r"\b(\d+)[ºª°]"),
    "pt": re.compile(r"\b(\d+)[ºª°]"),
    "de": re.compile(r"\b(\d+)\.(?=\s+[A-ZÄÖÜ][a-zäöüß])"),
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _language(code: str | None) -> str | None:
    """The num2words language for a Whisper code, or None when num2words has none."""
    num2words = require("num2words", extra="voice")
    if not code:
        return None
    code = code.lower()
    return code if code in num2words.CONVERTER_CLASSES else None


def _words(value: str, lang: str, **options: Any) -> str:
    num2words = require("num2words", extra="voice")
    number: Any = float(value.replace(",", ".")) if re.search(r"[.,]", value) else int(value)
    try:
        return str(num2words.num2words(number, lang=lang, **options))
    except (NotImplementedError, OverflowError, ValueError, TypeError, KeyError):
        return value


def _iso_date(match: re.Match[str], lang: str) -> str:
    year, month, day = (int(part) for part in match.groups())
    if lang != "en" or not 1 <= month <= 12:
        return " ".join(_words(str(part), lang) for part in (day, month, year))
    day_words = _words(str(day), lang, to="ordinal")
    return f"{_MONTHS_EN[month - 1]} {day_words}, {_words(str(year), lang, to='year')}"


#: Words that join the unit and cents parts of num2words' currency text.
_CONNECTORS = {"and", "und", "et", "con", "e", "y", "и"}


def _currency(amount: str, symbol: str, lang: str) -> str:
    """A currency amount in words; a whole amount says no "zero cents".

    num2words reads a whole number as cents, so whole amounts go in as ``N.00`` and the
    zero-cents clause it then appends is cut off.
    """
    whole = not re.search(r"[.,]", amount)
    text = _words(
        f"{amount}.00" if whole else amount, lang, to="currency", currency=_CURRENCIES[symbol]
    )
    zero = f" {_words('0', lang)} "
    if whole and zero in text:
        head = text[: text.rindex(zero)].rstrip(" ,").split(" ")
        if head and head[-1] in _CONNECTORS:
            head.pop()
        text = " ".join(head).rstrip(" ,")
    return text


def _plain_number(match: re.Match[str], lang: str) -> str:
    value = match.group(0)
    # Four-digit whole numbers read as years in English ("1455" -> "fourteen fifty-five").
    if lang == "en" and re.fullmatch(r"1[1-9]\d\d|20\d\d", value):
        return _words(value, lang, to="year")
    return _words(value, lang)


def normalize_numbers(text: str, language: str | None) -> str:
    """``text`` with numbers, ordinals, dates, currency and percentages spelled out."""
    lang = _language(language)
    if lang is None or not any(ch.isdigit() for ch in text):
        return text
    steps: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
        (_THOUSANDS, lambda m: ""),
        (_ISO_DATE, lambda m: _iso_date(m, lang)),
        (_CURRENCY_BEFORE, lambda m: _currency(m.group(2), m.group(1), lang)),
        (_CURRENCY_AFTER, lambda m: _currency(m.group(1), m.group(2), lang)),
        (_PERCENT, lambda m: _words(m.group(1), lang) + " " + _percent_word(lang)),
    ]
    ordinal = _ORDINAL.get(lang)
    if ordinal is not None:
        steps.append((ordinal, lambda m: _words(m.group(1), lang, to="ordinal")))
    steps.append((_NUMBER, lambda m: _plain_number(m, lang)))
    for pattern, replace in steps:
        text = pattern.sub(replace, text)
    return " ".join(text.split())


_PERCENT_WORDS = {"en": "percent", "de": "Prozent", "fr": "pour cent", "es": "por ciento"}


def _percent_word(lang: str) -> str:
    return _PERCENT_WORDS.get(lang, "%")
