"""Person names without a NER model: a gazetteer with cues, and Chinese names by segmenter.

Languages without a spaCy pipeline (German, Spanish, Portuguese, Italian, Russian out of the
box) get the gazetteer of ``lexicon``: a capitalised word that is a known given name is a
name unless it is also a common word there and opens a sentence, is German (where
nouns are capitalised) or is a greeting, weekday or month ("June", "Mark"); a
following capitalised surname or given name joins it ("Lucía García"); a capitalised word
after a title ("Herr", "Sra.", "M.") or an introduction ("me llamo", "меня зовут") is a
name even when the list does not know it. Chinese names come from jieba: its dictionary's
person tags ``nr``/``nrt`` (person, transliterated person), and for a word the segmenter
found that the dictionary lacks, posseg's tag of that word alone. jieba's dictionary is in
simplified characters, so traditional text is read through a character map (OpenCC's, same
length, so offsets hold), and ordinary words its dictionary tags ``nr`` (祝贺, 高潮, 安静)
are never names.

Also here: the spans a person name must never come from (URLs, e-mail addresses, code
identifiers, emoji), shared by every finder.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

from dataprep.clean.lexicon import (
    CHINESE_ORDINARY_NR,
    CHINESE_PLACES,
    CHINESE_SURNAMES,
    CHINESE_TRANSLITERATION,
    JAPANESE_SURNAMES,
    chat_words,
    common_words,
    given_names,
    is_given_name,
    surnames,
)

__all__ = [
    "ChineseNames",
    "find_gazetteer_names",
    "find_latin_subject_names",
    "opens_sentence",
    "protected_spans",
    "widen_name",
]

# Letters of alphabetic scripts (CJK runs are not words here: "Ken中午" holds the word "Ken").
_LETTERS = r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_WORD = re.compile(rf"{_LETTERS}+(?:['’-]{_LETTERS}+)*")
_POSSESSIVE = re.compile(r"(?:['’]s|s)$")
_INITIALS = re.compile(r"(?<![\w.])(?:[A-ZА-Я]\.\s?){2,3}[A-ZА-Я][a-zа-яё]{2,}")
_TITLES = frozenset(
    [
        "herr",
        "frau",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "m",
        "mme",
        "mlle",
        "monsieur",
        "madame",
        "sr",
        "sra",
        "srta",
        "señor",
        "señora",
        "don",
        "doña",
        "sig",
        "signor",
        "signora",
        "signorina",
        "sor",
        "senhor",
        "senhora",
        "dona",
        "г-н",
        "г-жа",
        "господин",
        "госпожа",
    ]
)
_INTRODUCTION = re.compile(
    r"(?:my name is|call me|ich heiße|mein name ist|je m'appelle|me llamo|mi chiamo|"
    r"meu nome é|me chamo|меня зовут|его зовут|её зовут|по имени)\s+$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?:^|[.!?…:;\n\"'«»„“”()\-–—]\s*)$")

_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S*", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_IDENTIFIER = re.compile(
    r"\b[A-Za-z_]\w*_\w+\b"  # snake_case
    r"|\b[a-z]+[A-Z]\w*\b"  # camelCase
    r"|\b\w+(?:\.\w+)+\(\)?"  # dotted.call()
    r"|\b\w+\(\)"  # call()
)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d\U000e0020-\U000e007f]+")


def protected_spans(text: str, *, identifiers: bool = True) -> list[tuple[int, int]]:
    """Spans no person name may overlap: URLs, e-mail addresses, inline code, emoji and
    (unless ``identifiers`` is false, for speakers' handles such as dana_w) identifiers."""
    patterns = [_URL, _EMAIL, _INLINE_CODE, _EMOJI] + ([_IDENTIFIER] if identifiers else [])
    return [m.span() for pattern in patterns for m in pattern.finditer(text)]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not (len(word) > 3 and word.isupper())


def opens_sentence(text: str, start: int) -> bool:
    """The word at ``start`` is the first of the message or of a sentence."""
    return bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


def find_gazetteer_names(text: str, language: str) -> list[tuple[int, int]]:
    """Spans of person names in ``text`` (a message in ``language``) by gazetteer and cues."""
    common = common_words(language)
    last_names = surnames()
    words = list(_WORD.finditer(text))
    spans = [m.span() for m in _INITIALS.finditer(text)]
    index = 0
    while index < len(words):
        word = words[index].group()
        start = words[index].start()
        if not _capitalised(word) or any(s <= start < e for s, e in spans):
            index += 1
            continue
        lower = word.lower()
        before = words[index - 1].group().lower() if index else ""
        cued = (before in _TITLES and before not in common) or bool(
            _INTRODUCTION.search(text[max(0, start - 20) : start])
        )
        known = _is_name(word, language) and not (
            lower in common
            and (
                (opens_sentence(text, start) and _ordinary_at_start(text, words[index], language))
                or language == "de"
                or lower in chat_words()
            )
        )
        if not (known or (cued and lower not in common)):
            index += 1
            continue
        last = index
        while last + 1 < len(words):
            gap = text[words[last].end() : words[last + 1].start()]
            follower = words[last + 1].group()
            if gap != " " or not _capitalised(follower) or follower.lower() in common:
                break
            if follower not in last_names and follower not in given_names():
                break
            last += 1
        spans.append((start, words[last].end()))
        index = last + 1
    return sorted(spans)


# Russian common words that are also given names (Том, Тому: Tom) but whose ordinary reading
# cannot open a sentence without a cue: "том" is "тот" after a preposition ("в том") or the
# noun "volume", which comes with a number ("Том 2", "Том первый"); "тому" opens a sentence
# only before a relative or a fixed phrase ("Тому, кто...", "Тому назад", "Тому подобное").
# Such a word opening a sentence is a name unless the next words carry that cue.
_ORDINARY_CUE_AFTER = {
    "ru": {
        "том": re.compile(
            r"\s*(?:\d|[IVXLC]+\b|№|перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|"
            r"последн|книг|собрани|энциклопеди|словар)",
            re.IGNORECASE,
        ),
        "тому": re.compile(
            r"\s*(?:,|—|-|кто|что|чего|как|назад|подобн|доказательств|причин|пример|свидетельств)",
            re.IGNORECASE,
        ),
    }
}


def _ordinary_at_start(text: str, word: re.Match[str], language: str) -> bool:
    """A common word that is also a name, opening a sentence, reads as the common word:
    always, unless the language lists it with the cue its ordinary reading needs and the
    words after it lack that cue."""
    cue = _ORDINARY_CUE_AFTER.get(language, {}).get(word.group().lower())
    return cue is None or bool(cue.match(text, word.end()))


def widen_name(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a speaker-name span over an adjacent capitalised known name: "Lucía" in
    "Lucía García" (another Lucía) or "Whitfield" in "Mark Whitfield" goes whole."""
    after = _WORD.match(text, end + 1) if text[end : end + 1] == " " else None
    if after and _capitalised(after.group()) and _known(after.group()):
        end = after.end()
    before = None
    if start >= 2 and text[start - 1] == " ":
        for match in _WORD.finditer(text, max(0, start - 40), start - 1):
            before = match if match.end() == start - 1 else before
    if before and _capitalised(before.group()) and _known(before.group()):
        start = before.start()
    return start, end


def _known(word: str) -> bool:
    return (word in given_names() or word in surnames()) and not any(
        word.lower() in common_words(code) for code in ("en", "de", "fr", "es", "pt", "it", "ru")
    )


def _is_name(word: str, language: str) -> bool:
    """A given name, also with a possessive "s" ("Lisas", "Tom's")."""
    if is_given_name(word, language):
        return True
    bare = _POSSESSIVE.sub("", word)
    return bare != word and len(bare) >= 3 and is_given_name(bare, language)


# First characters of common transliterated given names (汤姆, 玛丽, 比尔, 艾美, 杰克, 海伦...).
_TRANSLITERATION = frozenset(
    "汤湯玛瑪麦麥迈邁艾爱愛安比杰傑鲍鮑莫露丽麗娜妮凯凱卡克肯乔喬约約詹维維威海"
)


# jieba dictionary frequency above which a word made only of transliteration sounds is
# taken as an ordinary word (南希 9, 亨利 503 is caught by its first sound; 道德, 多谢 and
# 保姆 are in the thousands).
_RARE_TRANSLITERATION = 200
_DOT = re.compile(r"[·・•]")

# A capitalised Latin word opening a Chinese sentence as the subject of a verb or title that
# takes a person ("Ally喜欢…", "Elen不会说英语", "Timuçin在学波兰语", "Smith先生"). Any capitalised
# Latin word would also take brands and tools ("用Google查", "装Docker"), which are objects
# or sit before 上/的 instead.
_LATIN_SUBJECT = re.compile(
    r"(?:^|(?<=[。！？!?，,；;：:\s」』”]))([A-Z][a-zà-ÿ]+(?:[-'][A-Z]?[a-zà-ÿ]+)?)"
    r"(?=\s?(?:先生|小姐|太太|女士|夫人|老师|喜欢|喜歡|不会|不會|会说|會說|在学|在學|告诉|告訴"
    r"|觉得|覺得|认为|認為|知道|想要|爱上|愛上))"
)


def find_latin_subject_names(text: str) -> list[tuple[int, int]]:
    """Latin names opening a Chinese sentence before a person's verb or title."""
    return [match.span(1) for match in _LATIN_SUBJECT.finditer(text)]


def _merge_dotted(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A middle dot between transliteration sounds joins one foreign name (萨米·戴维斯):
    the sounds on both sides become one span, replacing the pieces found inside it."""
    names: list[tuple[int, int]] = []
    for dot in _DOT.finditer(text):
        start, end = dot.start(), dot.end()
        while start > 0 and text[start - 1] in CHINESE_TRANSLITERATION:
            start -= 1
        while end < len(text) and (text[end] in CHINESE_TRANSLITERATION or _DOT.match(text, end)):
            end += 1
        if start == dot.start() or end == dot.end():
            continue
        if names and start <= names[-1][1]:
            start = names.pop()[0]
        names.append((start, end))
    kept = [s for s in spans if not any(n_s <= s[0] and s[1] <= n_e for n_s, n_e in names)]
    return sorted(kept + names)


_TRADITIONAL_MAP = Path(__file__).parent / "data" / "traditional_to_simplified.txt"


@functools.cache
def _to_simplified() -> dict[int, str]:
    """Traditional -> simplified characters, one for one (a ``str.translate`` table)."""
    table = {}
    for line in _TRADITIONAL_MAP.read_text(encoding="utf-8").splitlines():
        if len(line) == 2 and not line.startswith("#"):
            table[ord(line[0])] = line[1]
    return table


class ChineseNames:
    """Chinese person names from jieba's part-of-speech tagger (loaded once)."""

    _HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]+$")
    _FLAGS = ("nr", "nrt", "nrfg")

    def __init__(self) -> None:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.ERROR)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._tagger: Any = jieba.posseg.POSTokenizer(self._tokenizer)
        self._tags: dict[str, str] = self._tagger.word_tag_tab
        self._alone: dict[str, str | None] = {}

    def find(self, text: str) -> list[tuple[int, int]]:
        """Segment with jieba's fast cut, then tag words from its dictionary; a word the
        dictionary lacks (found by the segmenter's HMM) is tagged by posseg on its own.
        posseg on whole messages finds the same names about 30 times slower. A foreign
        name written with a middle dot (萨米·戴维斯) is one name."""
        spans, position = [], 0
        text = text.translate(_to_simplified())  # one character for one: offsets hold
        words = list(self._tokenizer.cut(text, HMM=True))
        for number, word in enumerate(words):
            start, position = position, position + len(word)
            if not 2 <= len(word) <= 4 or not self._HAN_ONLY.match(word):
                continue
            if (
                word in common_words("zh")
                or word in CHINESE_ORDINARY_NR
                or word in CHINESE_PLACES
                or word.endswith("人")
            ):
                continue  # 瑞士人 "a Swiss": nationalities end in 人
            flag = self._tags.get(word)
            if flag is None and len(word) <= 3:
                flag = self._tag_alone(word)
                if flag not in self._FLAGS and len(word) == 3 and self._starts_like_name(word[:2]):
                    word = word[:2]  # 张伟|能: a name glued to the next character
                    flag = self._tags.get(word) or self._tag_alone(word)
            if flag not in self._FLAGS:
                continue
            following = words[number + 1][:1] if number + 1 < len(words) else ""
            if len(word) == 3 and self._known_word(word[-1] + following):
                word = word[:2]  # 张伟|明天: the segmenter glued the next word's first character
            if flag == "nr" and not self._plausible_nr(word):
                continue
            spans.append((start, start + len(word)))
        return _merge_dotted(text, spans)

    def _plausible_nr(self, word: str) -> bool:
        """A word tagged ``nr`` is a name when it starts like one: a surname or a sound used
        to spell foreign names (大吉 "good luck" is ``nr`` in jieba's dictionary), or is a
        rare word spelled only with transliteration sounds (南希). Four characters need a
        compound surname or a transliteration (和蔼可亲 "kind" is ``nr`` too)."""
        if len(word) == 4:
            return word[:2] in CHINESE_SURNAMES or self._transliterated(word)
        return self._starts_like_name(word)

    def _starts_like_name(self, word: str) -> bool:
        return self._has_surname(word) or word[0] in _TRANSLITERATION or self._transliterated(word)

    def _transliterated(self, word: str) -> bool:
        """Every character is a transliteration sound and the word is rare: jieba tags many
        frequent ordinary words made of such characters ``nr`` (道德, 多谢, 保姆)."""
        return (
            all(c in CHINESE_TRANSLITERATION for c in word)
            and self._tokenizer.FREQ.get(word, 0) <= _RARE_TRANSLITERATION
        )

    def _tag_alone(self, word: str) -> str | None:
        """posseg's HMM tag of a word the dictionary lacks, read on its own, for words
        that start like a name (a surname or a sound used to spell foreign names). Even
        on two characters its Viterbi costs milliseconds, so answers are remembered."""
        if not self._starts_like_name(word):
            return None
        if word not in self._alone:
            pairs = list(self._tagger.cut(word))
            self._alone[word] = str(pairs[0].flag) if len(pairs) == 1 else None
        return self._alone[word]

    def _known_word(self, word: str) -> bool:
        return len(word) == 2 and self._tokenizer.FREQ.get(word, 0) > 1000

    @staticmethod
    def _has_surname(word: str) -> bool:
        return (
            word[:1] in CHINESE_SURNAMES
            or word[:2] in CHINESE_SURNAMES
            or any(word[:n] in JAPANESE_SURNAMES for n in (2, 3))
        )
