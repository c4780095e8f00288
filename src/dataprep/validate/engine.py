"""The validator: feeds rows through the row checks and the checks that span rows.

``Validator`` is incremental (``add_row`` per row, ``finish`` at the end) so the file reader
streams any size in bounded memory, and ``check_records`` can lint rows held in memory.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dataprep.formats.sharegpt import SHAREGPT_ROLES
from dataprep.validate import rows as row_checks
from dataprep.validate.findings import RULES, Finding
from dataprep.validate.fixes import Mapping, suggest_mapping
from dataprep.validate.formats import (
    FORMAT_LABELS,
    PROFILE_FOR_FORMAT,
    PROFILES,
    candidate_formats,
    check_profile,
    wrong_profile_message,
)
from dataprep.validate.llamafactory import LlamaFactoryRows
from dataprep.validate.types import TypeTracker

__all__ = ["MIN_ROWS", "Report", "TrainerRows", "Validator", "check_records"]


class TrainerRows(Protocol):
    """Row checks of a trainer other than TRL (``llamafactory.LlamaFactoryRows``, ``axolotl.AxolotlRows``)."""

    name: str

    def check(self, row: dict[str, Any], emit: row_checks.Emit) -> str | None: ...

    def finish(self, emit: row_checks.Emit) -> None: ...


#: Below this many examples few-shot prompting is usually the better tool (OpenAI's guide
#: suggests starting with 50-100 examples; 10 is its hard minimum).
MIN_ROWS = 50

# GRPO passes every column except these to reward functions (trl grpo_trainer._calculate_rewards).
_GRPO_COLLIDING = {
    "prompts": "collides with the prompts argument of reward functions (TypeError: multiple values)",
    "completions": "collides with the completions argument of reward functions (TypeError: multiple values)",
    "trainer_state": "is overwritten by TRL with the trainer state before reward functions see it",
    "log_extra": "is overwritten by TRL with a logging callback before reward functions see it",
    "log_metric": "is overwritten by TRL with a logging callback before reward functions see it",
    "environments": "is overwritten by TRL with the environments when environment_factory is set",
}
_GRPO_UNREACHABLE = {"completion", "completion_ids"}
_GRPO_KEYS = frozenset(_GRPO_COLLIDING) | _GRPO_UNREACHABLE


@dataclass
class Report:
    """What a validation found: counts per rule (all), findings (capped per rule), the summary."""

    profile: str
    rows: int = 0
    format: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: Mapping | None = None
    #: The profile asked for (``auto`` when detected from the first row).
    requested: str = "auto"
    #: ``--estimate``: an ``estimate.Estimate`` (kept untyped so this module stays light).
    estimate: Any = None

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format or "", "unknown")

    def severity_counts(self) -> dict[str, int]:
        totals = {"error": 0, "warning": 0, "info": 0}
        for rule, count in self.counts.items():
            totals[RULES[rule].severity] += count
        return totals

    def exit_code(self, strict: bool = False) -> int:
        """0 clean, 1 errors (or warnings with ``strict``)."""
        totals = self.severity_counts()
        return 1 if totals["error"] or (strict and totals["warning"]) else 0


class Validator:
    """Checks rows one at a time and keeps the few facts that span rows."""

    def __init__(
        self,
        profile: str = "auto",
        *,
        max_findings_per_rule: int = 1000,
        dataset_checks: bool = True,
        eval_prompts: set[int] | None = None,
        vision_model: bool = False,
        trainer_rows: TrainerRows | None = None,
    ) -> None:
        """``trainer_rows``: another trainer's row checks (LLaMA-Factory, Axolotl) instead of TRL's."""
        if trainer_rows is None:
            check_profile(profile)
        else:
            profile = trainer_rows.name
        self.report = Report(profile=profile, requested=profile)
        self._trainer = trainer_rows
        self._cap = max_findings_per_rule
        self._dataset_checks = dataset_checks
        self._eval_prompts = eval_prompts
        self._line: int | None = None
        #: Raw text of the current row, for finding fingerprints (set by the file reader).
        self._raw: bytes | None = None
        #: The mapping ``dataprep convert`` would apply to rows matching no format.
        self.mapping: Mapping | None = None
        self._vision_model = vision_model
        self._first: tuple[str, str | None, int | None] | None = None
        self._types = TypeTracker(self._cap)
        self._seen: dict[int, int | None] = {}
        self._once: set[tuple[str, str]] = set()
        self._labels = Counter[bool]()

    # -- recording ---------------------------------------------------------------------
    def locate(self, line: int | None, raw: bytes | None = None) -> None:
        """Set where the next findings are: the line, and its raw text for fingerprints."""
        self._line, self._raw = line, raw

    def fingerprint(self) -> str | None:
        """A stable id of the current row's text (a CRC and the length)."""
        raw = self._raw
        return None if raw is None else f"{zlib.crc32(raw):08x}{len(raw):x}"

    def emit(self, rule: str, pointer: str, message: str) -> None:
        """Record a finding at the current line (the ``Emit`` callback of the row checks)."""
        self.add(
            Finding(rule, RULES[rule].severity, self._line, pointer, message, self.fingerprint())
        )

    def add(self, finding: Finding) -> None:
        counts = self.report.counts
        counts[finding.rule] += 1
        if counts[finding.rule] <= self._cap:
            self.report.findings.append(finding)

    def emit_once(self, rule: str, key: str, pointer: str, message: str) -> None:
        if (rule, key) not in self._once:
            self._once.add((rule, key))
            self.emit(rule, pointer, message)

    # -- rows --------------------------------------------------------------------------
    def add_row(self, row: Any, line: int | None, duplicate_key: int | None = None) -> None:
        """Check one parsed row; ``duplicate_key`` is a hash of its raw text (computed if None)."""
        self._line = line
        if type(row) is not dict:
            self.emit("J002", "", f"line is {row_checks._json_type(row)}, not a JSON object")
            return
        self.report.rows += 1
        if self._dataset_checks or duplicate_key is not None:
            self._check_duplicate(row, line, duplicate_key)
        profile = self.report.profile
        if profile == "auto" and "conversations" in row and self._trainer is None:
            # ShareGPT is LLaMA-Factory's format (TRL renders its role names literally).
            self._trainer = LlamaFactoryRows()
            self.report.profile = self._trainer.name
        if self._trainer is not None:
            kind = self._trainer.check(row, self.emit)
            if self.report.format is None:
                self.report.format = kind
            self._types.observe(row, line, self.fingerprint)
            return
        formats = candidate_formats(row, profile)
        if len(formats) != 1:
            self._format_problem(row, formats)
            return
        fmt = formats[0]
        if profile == "auto":
            profile = self.report.profile = PROFILE_FOR_FORMAT[fmt]
        if fmt not in PROFILES[profile]:
            self.emit("F006", "", wrong_profile_message(row, fmt, profile))
            return
        if not self._vision_model and profile in _VISION_CHECKED:
            for column in _VISION_COLUMNS.intersection(row):
                self.emit_once(
                    "V001",
                    column,
                    f"/{column}",
                    f"column {column!r}: TRL treats the dataset as vision data and raises "
                    "'The dataset appears to be vision-related' with a text-only model "
                    "(pass --vision-model if you train a vision-language model)",
                )
        kind = self._check_format(row, fmt, profile)
        self._check_consistency(row, fmt, kind, line)
        if self._eval_prompts is not None:
            self._check_eval_overlap(row, fmt)

    def _check_format(self, row: dict[str, Any], fmt: str, profile: str) -> str | None:
        emit = self.emit
        if fmt == "messages":
            return row_checks.check_messages_row(row, emit)
        if fmt == "sharegpt":
            kind = row_checks.check_sharegpt_row(row, emit)
            if profile == "sft":
                self.emit_once(
                    "M004",
                    "sharegpt",
                    "/conversations",
                    "ShareGPT rows need mapping for TRL (from/value -> role/content, human/gpt -> user/assistant); "
                    "run: dataprep convert FILE --to sft --out OUT",
                )
            return kind
        if fmt == "text":
            return row_checks.check_text_row(row, emit)
        if fmt in ("prompt_completion", "unpaired_preference"):
            kind = row_checks.check_prompt_completion_row(row, emit)
            label = row_checks.kto_label(row["label"]) if fmt == "unpaired_preference" else None
            if label is not None:
                self._labels[label] += 1
            return kind
        if fmt == "prompt_only":
            self._check_grpo_columns(row)
            return row_checks.check_prompt_only_row(row, emit)
        return row_checks.check_preference_row(row, emit, extracts_prompt=profile in ("dpo", "kto"))

    def _format_problem(self, row: dict[str, Any], formats: tuple[str, ...]) -> None:
        if formats:
            names = " and ".join(FORMAT_LABELS[f] for f in formats)
            self.emit("F002", "", f"row matches several formats: {names}; keep one set of fields")
            return
        keys = ", ".join(sorted(row)[:8]) or "no fields"
        hint = ""
        mapping = self.mapping or suggest_mapping(row, self.report.profile)
        if mapping is not None and mapping.required <= set(row):
            self.mapping = self.report.mapping = mapping
            hint = f"; map it with: dataprep convert FILE --to {mapping.target} ({mapping.name})"
        self.emit("F001", "", f"row matches no format (fields: {keys}){hint}")

    def _check_consistency(
        self, row: dict[str, Any], fmt: str, kind: str | None, line: int | None
    ) -> None:
        if kind is None:
            return
        if self._first is None:
            self._first = (fmt, kind, line)
            self.report.format = fmt
        elif (fmt, kind) != self._first[:2]:
            first_fmt, first_kind, first_line = self._first
            where = f"line {first_line}" if first_line is not None else "the first row"
            if fmt == first_fmt:
                found, first = f"{kind} {FORMAT_LABELS[fmt]}", f"{first_kind}"
            else:
                found, first = FORMAT_LABELS[fmt], FORMAT_LABELS[first_fmt]
            self.emit("F003", "", f"row is {found} but {where} is {first}")
            return
        self._types.observe(row, line, self.fingerprint)

    def _check_duplicate(self, row: dict[str, Any], line: int | None, key: int | None) -> None:
        if key is None:
            key = hash(_canonical(row))
        if key in self._seen:
            first = self._seen[key]
            where = f"line {first}" if first is not None else "an earlier row"
            self.emit("D001", "", f"row is an exact duplicate of {where}")
        else:
            self._seen[key] = line

    def _check_grpo_columns(self, row: dict[str, Any]) -> None:
        clashes = _GRPO_KEYS.intersection(row)
        for column in clashes:
            if column in _GRPO_UNREACHABLE:
                self.emit_once(
                    "G002",
                    column,
                    f"/{column}",
                    f"column {column!r} is never passed to reward functions",
                )
            else:
                self.emit_once(
                    "G001", column, f"/{column}", f"column {column!r} {_GRPO_COLLIDING[column]}"
                )

    def _check_eval_overlap(self, row: dict[str, Any], fmt: str) -> None:
        text = prompt_text(row, fmt)
        if text and self._eval_prompts is not None and hash(normalize(text)) in self._eval_prompts:
            self.emit("D002", "", "the row's prompt also appears in the evaluation file")

    # -- end ---------------------------------------------------------------------------
    def finish(self) -> Report:
        """Run the checks that need every row, and return the report."""
        report = self.report
        if report.profile == "auto" and report.format is None and self._first is None:
            report.notes.append("no row matched a known format, so no profile could be detected")
        self._line = None
        if self._trainer is not None:
            self._raw = None
            self._trainer.finish(self.emit)
        for finding in self._types.findings(report.counts):
            self.add(finding)
        if not self._dataset_checks:
            return report
        if report.rows == 0 and not report.counts:
            self.emit("F009", "", "the file has no rows")
        elif 0 < report.rows < MIN_ROWS:
            self.emit(
                "F007",
                "",
                f"only {report.rows} rows; below about {MIN_ROWS} examples few-shot prompting "
                "is usually the better tool",
            )
        self._check_labels()
        return report

    def _check_labels(self) -> None:
        good, bad = self._labels[True], self._labels[False]
        if not good and not bad:
            return
        self.report.label_counts = {"desirable": good, "undesirable": bad}
        if not good or not bad:
            missing = "undesirable (false)" if not bad else "desirable (true)"
            self.emit("K002", "/label", f"every label is the same; there is no {missing} example")
            return
        # KTO paper Eq. (8), as TRL's KTOTrainer recommends (kto_trainer.py): with weights 1.
        low, high = bad / good, 1.33 * bad / good
        if not (high >= 1.0 and low <= 1.0):
            self.emit(
                "K003",
                "/label",
                f"{good} desirable vs {bad} undesirable rows; TRL recommends desirable_weight "
                f"in [{low:.2f}, {high:.2f}] for this balance",
            )


_VISION_COLUMNS = frozenset({"image", "images"})
#: Trainers that raise on image columns without a vision-language model (TRL 1.x).
_VISION_CHECKED = frozenset({"sft", "dpo", "kto"})


def _canonical(row: dict[str, Any]) -> str:
    """A row's JSON text as a JSONL writer would write it: duplicates are rows of equal text."""
    import json

    return json.dumps(row, ensure_ascii=False)


def normalize(text: str) -> str:
    """Case- and whitespace-insensitive form used to compare prompts across files."""
    return " ".join(text.split()).casefold()


def _first_user_text(
    turns: Any, role_key: str = "role", content_key: str = "content"
) -> str | None:
    if type(turns) is not list:
        return None
    for turn in turns:
        role = turn.get(role_key) if type(turn) is dict else None
        if type(role) is str and SHAREGPT_ROLES.get(role) == "user":
            content = turn.get(content_key)
            return content if type(content) is str else None
    return None


def prompt_text(row: dict[str, Any], fmt: str) -> str | None:
    """The text that identifies a row's task: its prompt, or its first user turn."""
    if fmt == "messages":
        return _first_user_text(row.get("messages"))
    if fmt == "sharegpt":
        return _first_user_text(row.get("conversations"), "from", "value")
    if fmt == "text":
        value = row.get("text")
    elif fmt == "preference_implicit":
        chosen, rejected = row.get("chosen"), row.get("rejected")
        if type(chosen) is list:
            return _first_user_text(chosen)
        if type(chosen) is not str or type(rejected) is not str:
            return None
        index, _ = row_checks.trl_prompt_split(chosen, rejected)
        value = chosen[: max(index, 0)]
    else:
        value = row.get("prompt")
    if type(value) is list:
        return _first_user_text(value)
    return value if type(value) is str else None


def check_records(records: Iterable[dict[str, Any]], profile: str) -> list[Finding]:
    """Row-level checks of rows held in memory (e.g. generated ones); ``line`` is the 1-based position.

    Covers every per-row rule plus format/type consistency and exact duplicates across the
    given rows; dataset-size and label-balance rules need the whole file (use ``validate_file``).
    """
    validator = Validator(profile, dataset_checks=False, max_findings_per_rule=1_000_000)
    for position, record in enumerate(records, start=1):
        validator.add_row(record, position, hash(_canonical(record)) if type(record) is dict else 0)
    return validator.finish().findings
