"""The ``scrub_pii`` stage: find PII in every turn and replace it.

Three replacement strategies: typed placeholders (``<PERSON>``), pseudonyms consistent
within one sample (``<PERSON_1>`` is the same person everywhere in that conversation), or a
keyed hash (``<PERSON_9F86D081>``, the same value gets the same token across the whole
dataset; the key comes from an environment variable so it never lands in a report).
Scrubbing is idempotent: our own tokens are never detected again, and a message is
re-analysed after replacement until nothing new is found.

Each message's language is identified first (``langid``) and picks the person-name finder
(``pii``). ``audit_path`` writes a private table (mode 0600) of every replaced surface form
with its type, language and count, so an allow-list can be built; the report and the
terminal only ever see counts.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import Field

from dataprep.clean.langid import DEFAULT_LANGUAGES
from dataprep.clean.text import turn_columns
from dataprep.deps import require
from dataprep.errors import ConfigError, InputError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

if TYPE_CHECKING:
    from dataprep.clean.pii import BatchAnalyzer, Finding
    from dataprep.clean.recognizers import ParticipantNames
    from dataprep.context import RunContext

__all__ = [
    "DEFAULT_ENTITIES",
    "Replacer",
    "ScrubPiiParams",
    "ScrubPiiStage",
    "scrub_texts",
    "write_audit",
]

#: Scrubbed by default. DATE_TIME, LOCATION, NRP and URL are left alone: chat is full of
#: them and replacing every "tomorrow" or "Berlin" would gut the data (WeClone does the same).
DEFAULT_ENTITIES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "CN_RESIDENT_ID",
    "US_SSN",
    "UK_NHS",
    "CRYPTO",
)
_PSEUDONYM = re.compile(r"<([A-Z][A-Z_]*?)_(\d+)>")
_MAX_ROUNDS = 3
_SLICE_SAMPLES = 1000
_AUDIT_HEADER = ("entity", "language", "count", "value")


class Replacer:
    """Turns findings into replacement tokens; pseudonyms are numbered per sample.

    ``canonical`` maps a person's surface form to that person ("dana", "Whitfield" ->
    "dana whitfield"); other names are compared without case and diacritics, and a
    one-word name that is part of a longer one seen in the same sample ("Lucía" after
    "Lucía García") gets the longer one's pseudonym.
    """

    def __init__(
        self,
        strategy: str,
        key: bytes | None = None,
        canonical: Callable[[str], str | None] | None = None,
    ) -> None:
        self.strategy = strategy
        self.key = key
        self.canonical = canonical
        self._numbers: dict[tuple[int, str, str], int] = {}
        self._next: Counter[tuple[int, str]] = Counter()
        self._people: dict[int, list[str]] = {}

    def start(self, texts: Sequence[str], samples: Sequence[int]) -> None:
        """Forget earlier pseudonyms; number after any already in each sample's texts."""
        self._numbers.clear()
        self._next.clear()
        self._people.clear()
        if self.strategy == "pseudonym":
            for text, sample in zip(texts, samples, strict=True):
                for entity, number in _PSEUDONYM.findall(text):
                    slot = (sample, entity)
                    self._next[slot] = max(self._next[slot], int(number))

    def _normal(self, entity: str, value: str, sample: int) -> str:
        from dataprep.clean.lexicon import fold

        if entity != "PERSON":
            return " ".join(value.lower().split())
        person = self.canonical(value) if self.canonical else None
        normal = person or " ".join(fold(value).lstrip("@").split())
        if person is None and self.strategy == "pseudonym":
            words = set(normal.split())
            for known in self._people.get(sample, []):
                known_words = set(known.split())
                if words <= known_words or known_words <= words:
                    return known
            self._people.setdefault(sample, []).append(normal)
        return normal

    def token(self, entity: str, value: str, sample: int = 0) -> str:
        if self.strategy == "placeholder":
            return f"<{entity}>"
        normal = self._normal(entity, value, sample)
        if self.strategy == "hash":
            assert self.key is not None
            digest = hmac.new(self.key, f"{entity}:{normal}".encode(), hashlib.sha256).hexdigest()
            return f"<{entity}_{digest[:8].upper()}>"
        slot = (sample, entity, normal)
        if slot not in self._numbers:
            self._next[(sample, entity)] += 1
            self._numbers[slot] = self._next[(sample, entity)]
        return f"<{entity}_{self._numbers[slot]}>"

    def apply(self, text: str, findings: Sequence[Finding], sample: int = 0) -> str:
        parts, position = [], 0
        for finding in sorted(findings, key=lambda f: f.start):
            parts.append(text[position : finding.start])
            parts.append(self.token(finding.entity, text[finding.start : finding.end], sample))
            position = finding.end
        parts.append(text[position:])
        return "".join(parts)


def scrub_texts(
    analyzer: BatchAnalyzer,
    texts: list[str],
    samples: list[int],
    replacer: Replacer,
    names: ParticipantNames | None = None,
    languages: Sequence[str] | None = None,
    audit: Counter[tuple[str, str, str]] | None = None,
) -> tuple[list[str], list[Counter[str]]]:
    """Scrub ``texts`` (``samples[i]`` is the sample text ``i`` belongs to, in order).

    Each round runs the pattern recognizers and names, replaces, then runs the name
    finders of each text's language (``languages``, detected when omitted) on the result
    and replaces again; the next round re-checks only what changed, and NER only sees a
    text again when it differs from the text NER last found nothing in. Returns the new
    texts and, for each, its number of findings per entity type; ``audit`` counts every
    replaced ``(entity, language, surface form)``.
    """
    counts: list[Counter[str]] = [Counter() for _ in texts]
    texts = list(texts)
    if languages is None:
        languages = analyzer.identify(texts, samples, names)
    replacer.start(texts, samples)
    ner_clean = [False] * len(texts)

    def replace(indexes: list[int], results: list[list[Finding]]) -> set[int]:
        changed = set()
        for i, found in zip(indexes, results, strict=True):
            if found:
                counts[i].update(f.entity for f in found)
                if audit is not None:
                    audit.update((f.entity, languages[i], texts[i][f.start : f.end]) for f in found)
                texts[i] = replacer.apply(texts[i], found, samples[i])
                ner_clean[i] = False
                changed.add(i)
        return changed

    pending = list(range(len(texts)))
    for _ in range(_MAX_ROUNDS):
        if not pending:
            break
        changed = replace(pending, analyzer.analyze([texts[i] for i in pending], names, ner=False))
        unseen = [i for i in pending if not ner_clean[i]]
        found = analyzer.analyze(
            [texts[i] for i in unseen],
            names,
            patterns=False,
            languages=[languages[i] for i in unseen],
        )
        changed |= replace(unseen, found)
        for i, result in zip(unseen, found, strict=True):
            ner_clean[i] = not result
        pending = sorted(changed)
    return texts, counts


def write_audit(path: str | Path, audit: Counter[tuple[str, str, str]]) -> int:
    """Write the audit table (tab-separated, most frequent first), readable by the user
    only, replacing the file whole; returns its number of rows."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(_AUDIT_HEADER)
        for (entity, language, value), count in sorted(
            audit.items(), key=lambda item: (-item[1], item[0])
        ):
            writer.writerow((entity, language, count, value))
    os.replace(temporary, target)
    return len(audit)


class ScrubPiiParams(StageParams):
    strategy: Literal["placeholder", "pseudonym", "hash"] = Field(
        default="placeholder",
        description="placeholder: <PERSON>; pseudonym: <PERSON_1> consistent within a sample; hash: <PERSON_9F86D081> keyed with $DATAPREP_PII_KEY.",
    )
    entities: list[str] = Field(
        default=list(DEFAULT_ENTITIES),
        description="presidio entity types to scrub (plus CN_RESIDENT_ID; LOCATION, DATE_TIME, NRP, URL on request).",
    )
    threshold: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="Minimum score after context enhancement; presidio's weak patterns (0.01-0.05) stay below it.",
    )
    allow_list: list[str] = Field(
        default_factory=list,
        description="Values never scrubbed (case-insensitive exact match), e.g. a bot's name.",
    )
    speaker_names: bool = Field(
        default=True, description="Scrub the speakers' own names and handles taken from the export."
    )
    names_file: str | None = Field(
        default=None, description="Extra names to scrub, one per line (kept out of reports)."
    )
    spacy_model: str = Field(
        default="en_core_web_sm",
        description="Installed spaCy pipeline for English messages (PERSON/LOCATION/NRP/DATE_TIME).",
    )
    languages: list[str] = Field(
        default=list(DEFAULT_LANGUAGES),
        min_length=1,
        description="Languages each message is identified among (ISO 639-1); the others read as the closest one.",
    )
    ner_models: dict[str, str] = Field(
        default_factory=dict,
        description="Installed spaCy pipeline per language, e.g. {de: de_core_news_sm}; adds to en/fr. Languages without one use a name gazetteer (Chinese: jieba).",
    )
    audit_path: str | None = Field(
        default=None,
        description="Write every replaced surface form with type, language and count here (mode 0600). Holds personal data.",
    )
    warn_repeats: int = Field(
        default=25,
        ge=1,
        description="Warn (counts only) when one surface form that is not a speaker's name is replaced this often and makes 5% of its type.",
    )
    phone_regions: list[str] = Field(
        default=["US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"],
        description="Regions phonenumbers matches national formats for (+CC numbers match anywhere).",
    )
    ner_cased_only: bool = Field(
        default=True,
        description="Run NER only on messages with an upper-case letter (English names are capitalised).",
    )
    ner_batch_size: int = Field(default=512, ge=1, description="Messages per spaCy nlp.pipe batch.")
    ner_max_chars: int = Field(
        default=100_000,
        ge=1000,
        description="Longer messages are cut into pieces for NER (spaCy refuses texts over 1,000,000 characters).",
    )
    hash_key_env: str = Field(
        default="DATAPREP_PII_KEY",
        description="Environment variable holding the key of the hash strategy.",
    )


@register
class ScrubPiiStage(Stage):
    """Scrubs every turn's content; counts findings per entity type, never values."""

    name = "scrub_pii"
    capabilities = frozenset({"pii"})
    consumes = "samples"
    description = "Find PII with presidio + spaCy + speaker names and replace it (placeholder, pseudonym or keyed hash)."
    Params = ScrubPiiParams
    params: ScrubPiiParams

    def __init__(self, params: Any = None, *, analyzer: BatchAnalyzer | None = None) -> None:
        super().__init__(params)
        self.analyzer = analyzer
        self.names: ParticipantNames | None = None
        self.replacer: Replacer | None = None
        self.counts: Counter[str] = Counter()
        self.changed: Counter[str] = Counter()
        self.by_language: Counter[str] = Counter()
        self.methods: dict[str, Counter[str]] = {}
        self.audit: Counter[tuple[str, str, str]] = Counter()

    def check(self, ctx: RunContext) -> None:
        """The hash key and the names file, before spaCy loads."""
        p = self.params
        if p.strategy == "hash" and not os.environ.get(p.hash_key_env, ""):
            raise ConfigError(
                f"the hash strategy needs a secret key in ${p.hash_key_env}",
                hint=f"You can fix this with: export {p.hash_key_env}=<a long random string>",
            )
        if p.names_file and not Path(p.names_file).is_file():
            raise InputError("no such names file", path=p.names_file)

    def setup(self, ctx: RunContext) -> None:
        # Side files (source traces) name input files by a stable hash when PII is scrubbed.
        ctx.shared["private_sources"] = True
        require("presidio_analyzer", extra="clean")
        from dataprep.clean.pii import BatchAnalyzer
        from dataprep.clean.recognizers import ParticipantNames

        p = self.params
        self.check(ctx)
        key = os.environ[p.hash_key_env].encode() if p.strategy == "hash" else None
        self.names = ParticipantNames()
        self.replacer = Replacer(p.strategy, key, canonical=self.names.canonical)
        if self.analyzer is None:
            self.analyzer = BatchAnalyzer(
                entities=p.entities,
                threshold=p.threshold,
                allow_list=p.allow_list,
                spacy_model=p.spacy_model,
                phone_regions=p.phone_regions,
                ner_batch_size=p.ner_batch_size,
                ner_max_chars=p.ner_max_chars,
                ner_cased_only=p.ner_cased_only,
                languages=p.languages,
                ner_models=p.ner_models,
            )
        if p.names_file:
            try:
                lines = Path(p.names_file).read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise InputError(
                    f"cannot read the names file ({error.strerror})", path=p.names_file
                ) from None
            self.names.add(lines)

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        # Slices bound the Python objects (turn dicts, findings) alive at once.
        if batch.height <= _SLICE_SAMPLES:
            return self._scrub_frame(batch, ctx)
        return pl.concat(
            [
                self._scrub_frame(batch.slice(start, _SLICE_SAMPLES), ctx)
                for start in range(0, batch.height, _SLICE_SAMPLES)
            ]
        )

    def _scrub_frame(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        assert self.analyzer is not None and self.replacer is not None
        with_speakers = self.params.speaker_names and "speakers" in batch.columns
        if with_speakers:
            assert self.names is not None
            self.names.add(batch["speakers"].explode().drop_nulls().unique().to_list())
        columns = (["speakers"] if with_speakers else []) + turn_columns(batch)
        values = {c: batch[c].to_list() for c in columns}
        texts, samples, slots = [], [], []
        for row in range(batch.height):
            # Speakers go first so that pseudonyms number them as in the conversation.
            for column in columns:
                for turn, item in enumerate(values[column][row] or []):
                    content = item if column == "speakers" else (item or {}).get("content")
                    if content:
                        texts.append(content)
                        samples.append(row)
                        slots.append((column, row, turn))
        languages = self.analyzer.identify(texts, samples, self.names)
        for (column, _, _), language in zip(slots, languages, strict=True):
            if column != "speakers":
                self.by_language[language] += 1
                method = self.analyzer.person_method(language)
                self.methods.setdefault(language, Counter())[method] += 1
        scrubbed, counts = scrub_texts(
            self.analyzer,
            texts,
            samples,
            self.replacer,
            self.names,
            languages=languages,
            audit=self.audit,
        )
        touched = set()
        for position, ((column, row, turn), old, new) in enumerate(
            zip(slots, texts, scrubbed, strict=True)
        ):
            if old == new:
                continue
            touched.add(column)
            if column == "speakers":
                values[column][row][turn] = new
                continue
            values[column][row][turn]["content"] = new
            self.changed["messages"] += 1
            self.counts.update(counts[position])
        ctx.progress.advance(self.name, batch.height)
        if not touched:
            return batch
        return batch.with_columns(
            [pl.Series(c, values[c], dtype=batch.schema[c]) for c in sorted(touched)]
        )

    def finish(self, ctx: RunContext) -> None:
        report: dict[str, Any] = {
            "findings_by_entity": dict(sorted(self.counts.items())),
            "findings_total": sum(self.counts.values()),
            "messages_changed": self.changed["messages"],
            "strategy": self.params.strategy,
            "speaker_names_known": len(self.names) if self.names is not None else 0,
            "messages_by_language": dict(self.by_language.most_common()),
            "person_method_by_language": {
                language: dict(methods.most_common())
                for language, methods in sorted(self.methods.items())
            },
        }
        if self.params.audit_path:
            report["audit_rows"] = write_audit(self.params.audit_path, self.audit)
        frequent = self._frequent_forms()
        if frequent:
            report["frequent_forms"] = frequent
            where = (
                f"the audit file {self.params.audit_path}"
                if self.params.audit_path
                else "the table --pii-audit FILE writes"
            )
            ctx.warn(
                f"scrub_pii: {frequent} surface form(s) were each replaced at least "
                f"{self.params.warn_repeats} times, which often means a false positive; "
                f"review them in {where} and pass the good ones with --allow"
            )
        ctx.report[self.name] = report

    def _frequent_forms(self) -> int:
        """How many non-speaker surface forms were replaced unusually often."""
        by_type: Counter[str] = Counter()
        for (entity, _, _), count in self.audit.items():
            by_type[entity] += count
        forms: Counter[tuple[str, str]] = Counter()
        for (entity, _, value), count in self.audit.items():
            forms[(entity, value)] += count
        return sum(
            1
            for (entity, value), count in forms.items()
            if count >= self.params.warn_repeats
            and count >= 0.05 * by_type[entity]
            and not (self.names is not None and self.names.canonical(value))
        )
