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
        text = (
            "+" + pattern_text.lstrip()[2:]
            if pattern_text.lstrip().startswith("00")
            else pattern_text
        )
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
_PARTS = re.compile(r"[\s._\-]+")
_ALIASES = re.compile(r"\s*[,;=|]\s*")


class ParticipantNames:
    """The speakers' names in every form people write them, as one compiled alternation.

    From "Dana Whitfield" and "@dana_w" it matches the full name, each part of three or more
    letters ("dana", "whitfield"), the handle with or without "@", in any case and with or
    without diacritics ("Lucía" = "lucia"). A part that is also a common word of one of
    the languages we know ("Will", "Rosa") only matches capitalised. CJK names match
    anywhere (no spaces between words), a three-character name also by its given name.
    Every form maps to its person (``canonical``), so pseudonyms stay one per person.
    """

    def __init__(self, min_part: int = 3) -> None:
        self.min_part = min_part
        self._forms: dict[str, str] = {}  # folded form -> folded full name
        self._capitalised: set[str] = set()  # forms that are common words
        self._ambiguous: set[str] = set()  # parts two people share
        self._cjk: dict[str, str] = {}
        self._parts_of: dict[str, set[str]] = {}
        self._patterns: list[re.Pattern[str]] | None = None

    def add(self, names: Iterable[str | None]) -> None:
        """Add names (``None`` and blanks are ignored); recompiles lazily.

        A line listing aliases of one person ("Daniel Park, Danny, @dpark") keeps them
        together: they all get that person's pseudonym.
        """
        before = len(self)
        for raw in names:
            aliases = [a for a in _ALIASES.split((raw or "").strip()) if len(a.strip()) >= 2]
            if aliases:
                self._add_person(aliases)
        if len(self) != before:
            self._patterns = None

    def _add_person(self, aliases: list[str]) -> None:
        from dataprep.clean.lexicon import fold

        first = aliases[0].strip()
        if _CJK_NAME.search(first):
            for alias in aliases:
                self._cjk.setdefault(alias.strip(), first)
                if len(alias.strip()) == 3:
                    self._cjk.setdefault(alias.strip()[1:], first)
            return
        forms = [" ".join(fold(alias.strip()).lstrip("@").split()) for alias in aliases]
        # Handles people build from a full name: dana_whitfield, dana.whitfield, danawhitfield.
        forms += [sep.join(f.split()) for f in forms if " " in f for sep in ("_", ".", "")]
        parts = {p for form in forms for p in _PARTS.split(form) if len(p) >= self.min_part}
        person = self._same_person(parts) or forms[0]
        self._parts_of.setdefault(person, set()).update(parts)
        for form in forms:
            self._claim(form, person)
        for part in parts:
            self._claim(part, person, part=True)

    def _same_person(self, parts: set[str]) -> str | None:
        """An existing person this one is another spelling of: "Arjun S" and "@arjun_s"
        share their only name part. Two people who merely share a first name stay apart."""
        for person, known in self._parts_of.items():
            if parts and (parts <= known or known <= parts) and min(len(parts), len(known)) == 1:
                return person
        return None

    def _claim(self, form: str, person: str, *, part: bool = False) -> None:
        from dataprep.clean.lexicon import common_words

        owner = self._forms.setdefault(form, person)
        if owner != person:
            self._ambiguous.add(form)
        if part and any(form in common_words(code) for code in _COMMON_LANGUAGES):
            self._capitalised.add(form)

    def __len__(self) -> int:
        return len(self._forms) + len(self._cjk)

    def canonical(self, surface: str) -> str | None:
        """The person a surface form names (its folded full name), if one speaker owns it."""
        from dataprep.clean.lexicon import fold

        form = " ".join(fold(surface).lstrip("@").split())
        if surface.strip() in self._cjk:
            return self._cjk[surface.strip()]
        if form in self._ambiguous:
            return None
        return self._forms.get(form)

    def _compile(self) -> list[re.Pattern[str]]:
        def alternation(words: Iterable[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))

        patterns = []
        if self._forms:
            # Spaces in a full name match any run of spaces; the text is folded first.
            body = alternation(self._forms).replace("\\ ", r"\s+")
            patterns.append(re.compile(rf"(?<![\w@])@?(?:{body})(?!\w)"))
        if self._cjk:
            patterns.append(re.compile(alternation(self._cjk)))
        return patterns

    def find(self, text: str) -> list[tuple[int, int]]:
        """Spans of every name in ``text``."""
        from dataprep.clean.lexicon import fold

        if self._patterns is None:
            self._patterns = self._compile()
        if not self._patterns:
            return []
        folded = fold(text)
        spans = []
        for pattern in self._patterns:
            latin = pattern is self._patterns[0] and bool(self._forms)
            for match in pattern.finditer(folded if latin else text):
                start, end = match.span()
                form = match.group().lstrip("@")
                if form in self._capitalised and not text[end - len(form)].isupper():
                    continue
                spans.append((start, end))
        return spans


_COMMON_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "ru")
