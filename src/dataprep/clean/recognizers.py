"""Recognizers presidio lacks for chat data: Chinese mobiles, resident IDs, bank cards,
an e-mail recognizer that never goes online, and the speakers' own names.

Imported only inside ``scrub_pii`` setup (it imports presidio).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

import tldextract
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import EmailRecognizer

__all__ = [
    "BankCardRecognizer",
    "CnMobileRecognizer",
    "CnResidentIdRecognizer",
    "InternationalPhoneRecognizer",
    "OfflineEmailRecognizer",
    "ParticipantNames",
    "custom_recognizers",
    "luhn_valid",
    "resident_id_valid",
]

# The bundled public-suffix snapshot only: an empty URL list means tldextract never fetches.
_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_valid(text: str) -> bool:
    """GB 11643-1999 check digit of an 18-character resident identity number."""
    digits = re.sub(r"\s", "", text).upper()
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17]


def luhn_valid(text: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class OfflineEmailRecognizer(EmailRecognizer):
    """presidio's e-mail recognizer, validating domains with the bundled suffix list."""

    def validate_result(self, pattern_text: str) -> bool:
        return _OFFLINE_TLD(pattern_text).fqdn != ""


class CnMobileRecognizer(PatternRecognizer):
    """Mainland China mobile numbers: 1[3-9]x xxxx xxxx, optionally +86."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "CN mobile",
            r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)",
            0.6,
        )
    ]
    CONTEXT: ClassVar[list[str]] = [
        "phone",
        "mobile",
        "call",
        "tel",
        "手机",
        "电话",
        "号码",
        "微信",
        "联系",
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name="CnMobileRecognizer",
        )


class CnResidentIdRecognizer(PatternRecognizer):
    """18-digit resident identity numbers; the check digit must be right."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "CN resident ID",
            r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])",
            0.3,
        )
    ]
    CONTEXT: ClassVar[list[str]] = ["id", "identity", "身份证", "证件", "号码"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CN_RESIDENT_ID",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name="CnResidentIdRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        return resident_id_valid(pattern_text)


class BankCardRecognizer(PatternRecognizer):
    """15-19 digit card numbers (UnionPay 62..., Visa, Mastercard, ...) passing Luhn.

    presidio's credit-card patterns miss 19-digit UnionPay debit cards and some groupings.
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("bank card", r"(?<![\d.-])[3-6]\d{3}(?:[ -]?\d{2,6}){2,5}(?![\d-])", 0.3)
    ]
    CONTEXT: ClassVar[list[str]] = ["card", "bank", "account", "卡", "卡号", "银行", "账号"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CREDIT_CARD",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name="BankCardRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        digits = sum(c.isdigit() for c in pattern_text)
        return 15 <= digits <= 19 and luhn_valid(pattern_text)


class InternationalPhoneRecognizer(PatternRecognizer):
    """Whole numbers in international format, country code included ("+49 151 23456789").

    presidio's phonenumbers matcher reads "+49 151 23456789" as a national number after
    the country code and leaves "+49" behind; a span that phonenumbers accepts as a
    possible number from the "+" on wins over it (validated results score 1.0).
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "international phone",
            r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .\-/]?\(?\d{1,5}\)?){2,6}(?![\w])",
            0.5,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=self.PATTERNS,
            context=["phone", "tel", "call", "mobile", "handy", "telefon", "téléphone", "teléfono"],
            name="InternationalPhoneRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        import phonenumbers

        digits = "".join(c for c in pattern_text if c.isdigit())
        if not 8 <= len(digits) <= 15:
            return False
        text = "+" + pattern_text.lstrip()[2:] if pattern_text.lstrip().startswith("00") else pattern_text
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_possible_number(number))


def custom_recognizers() -> list[PatternRecognizer]:
    """Our additions to presidio's predefined recognizers."""
    return [
        OfflineEmailRecognizer(),
        InternationalPhoneRecognizer(),
        CnMobileRecognizer(),
        CnResidentIdRecognizer(),
        BankCardRecognizer(),
    ]


_CJK_NAME = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


class ParticipantNames:
    """The speakers' names and handles as one compiled alternation.

    Latin names match as whole words (case-insensitively for full names and handles,
    case-sensitively for single name parts such as a first name); CJK names match
    anywhere, since CJK text has no spaces between words.
    """

    def __init__(self, min_part: int = 3) -> None:
        self.min_part = min_part
        self._full: set[str] = set()
        self._parts: set[str] = set()
        self._cjk: set[str] = set()
        self._patterns: list[re.Pattern[str]] | None = None

    def add(self, names: Iterable[str | None]) -> None:
        """Add names (``None`` and blanks are ignored); recompiles lazily."""
        before = len(self._full) + len(self._parts) + len(self._cjk)
        for raw in names:
            name = (raw or "").strip()
            if len(name) < 2:
                continue
            if _CJK_NAME.search(name):
                self._cjk.add(name)
                continue
            self._full.add(name.lower())
            handle = name.lstrip("@")
            if len(handle) >= 2:
                self._full.add(handle.lower())
            for part in re.split(r"[\s._\-]+", handle):
                if len(part) >= self.min_part and part[:1].isupper():
                    self._parts.add(part)
        if len(self._full) + len(self._parts) + len(self._cjk) != before:
            self._patterns = None

    def __len__(self) -> int:
        return len(self._full) + len(self._parts) + len(self._cjk)

    def _compile(self) -> list[re.Pattern[str]]:
        def alternation(words: set[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))

        patterns = []
        if self._full:
            patterns.append(
                re.compile(rf"(?<![\w@])@?(?:{alternation(self._full)})(?!\w)", re.IGNORECASE)
            )
        if self._parts:
            patterns.append(re.compile(rf"(?<!\w)(?:{alternation(self._parts)})(?!\w)"))
        if self._cjk:
            patterns.append(re.compile(alternation(self._cjk)))
        return patterns

    def find(self, text: str) -> list[tuple[int, int]]:
        """Spans of every name in ``text``."""
        if self._patterns is None:
            self._patterns = self._compile()
        return [m.span() for pattern in self._patterns for m in pattern.finditer(text)]
