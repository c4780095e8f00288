"""Template-exact preflight with a local tokenizer: the tokens each trainer sees, and what it cuts.

Rows are rendered the way TRL 1.x renders them: conversational fields through the tokenizer's
own ``apply_chat_template`` (transformers, so the Jinja environment, special tokens and
``{% generation %}`` handling are the trainer's), plain-text fields through the tokenizer with
its special tokens (BOS) plus the EOS TRL appends. From the token counts come the rows a
trainer truncates (L001) or drops (L002), rows with no token to learn under assistant-only loss
(L004) and rows the template rejects (L003). Rows are buffered and rendered in batches, which
is what makes this about as fast as the tokenizer's own batched ``apply_chat_template``.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprep.deps import require
from dataprep.errors import InputError
from dataprep.validate.engine import Validator
from dataprep.validate.findings import RULES, Finding
from dataprep.validate.formats import PROFILES, candidate_formats
from dataprep.validate.render import Judge, Renderer, TokenCounts

__all__ = ["DEFAULT_MAX_LENGTH", "LengthChecker", "load_tokenizer", "percentiles"]

#: TRL's default ``max_length`` in SFTConfig, DPOConfig, KTOConfig and RewardConfig.
DEFAULT_MAX_LENGTH = 1024
_BATCH = 512


def load_tokenizer(path: str | Path, chat_template: str | Path | None = None) -> Any:
    """A transformers tokenizer from a local folder (or a bare ``tokenizer.json``); never downloads."""
    transformers = require("transformers", extra="trainers")
    source = Path(path)
    try:
        if source.is_dir():
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                str(source), local_files_only=True
            )
        else:
            tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_file=str(source))
    except Exception as error:  # transformers and tokenizers raise many kinds on a bad folder
        raise InputError(
            f"cannot load the tokenizer ({type(error).__name__}: {str(error)[:200]})",
            path=source,
            hint="Pass a local tokenizer folder (tokenizer.json + tokenizer_config.json)",
        ) from None
    # Rows are counted, never fed to a model: silence the "longer than the maximum" warning.
    tokenizer.model_max_length = 1 << 62
    if chat_template is not None:
        try:
            tokenizer.chat_template = Path(chat_template).read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(
                f"cannot read the chat template ({error.strerror})", path=chat_template
            ) from None
    return tokenizer


@dataclass
class _Pending:
    row: dict[str, Any]
    fmt: str
    line: int
    fingerprint: str | None


@dataclass
class TokenStats:
    """Token counts per row (the longest sequence the trainer builds) and per role."""

    lengths: array = field(default_factory=lambda: array("I"))
    roles: Counter[str] = field(default_factory=Counter)
    #: Tokens the trainer trains on, summed over rows (truncated; dropped rows count 0).
    trained: int = 0


class LengthChecker:
    """A row hook for ``validate_file``: buffers rows, renders them in batches, emits L001-L004."""

    def __init__(
        self,
        tokenizer: str | Path | Any,
        max_length: int = DEFAULT_MAX_LENGTH,
        chat_template: str | Path | None = None,
        *,
        assistant_only_loss: bool = False,
    ) -> None:
        if isinstance(tokenizer, str | Path):
            tokenizer = load_tokenizer(tokenizer, chat_template)
        self.max_length = max_length
        self.assistant_only_loss = assistant_only_loss
        self.renderer = Renderer(tokenizer, assistant_only_loss=assistant_only_loss)
        self.stats = TokenStats()
        self._pending: list[_Pending] = []

    @property
    def lengths(self) -> array:
        return self.stats.lengths

    def __call__(self, row: dict[str, Any], line: int, validator: Validator) -> None:
        profile = validator.report.profile
        if profile not in PROFILES:  # auto before detection, or another trainer's profile
            return
        formats = candidate_formats(row, profile)
        if len(formats) != 1:
            return
        self._pending.append(_Pending(row, formats[0], line, validator.fingerprint()))
        if len(self._pending) >= _BATCH:
            self.flush(validator)

    def flush(self, validator: Validator) -> None:
        """Render and judge the buffered rows (``validate_file`` calls this at the end)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        profile = validator.report.profile
        judge = Judge(profile, self.max_length, self.renderer)
        plans = [judge.plan(item.row, item.fmt) for item in pending]
        counts = self.renderer.run([plan for plan in plans if plan is not None])
        for item, plan in zip(pending, plans, strict=True):
            if plan is not None:
                self._judge_one(judge, plan, counts, validator, item)

    def _judge_one(
        self, judge: Judge, plan: Any, counts: TokenCounts, validator: Validator, item: _Pending
    ) -> None:
        def emit(rule: str, pointer: str, message: str) -> None:
            severity = RULES[rule].severity
            validator.add(Finding(rule, severity, item.line, pointer, message, item.fingerprint))

        error = counts.errors.get(id(plan))
        if error is not None:
            emit("L003", "", error)
            return
        verdict = judge.verdict(plan, counts)
        if verdict.longest is not None:
            self.stats.lengths.append(verdict.longest)
        self.stats.roles.update(verdict.roles)
        self.stats.trained += verdict.trained
        for rule, pointer, message in verdict.findings:
            emit(rule, pointer, message)

    def summary(self) -> str | None:
        """Token percentiles of the rows measured and tokens per role, for the report's notes."""
        if not self.stats.lengths:
            return None
        low, median, p95, top = percentiles(self.stats.lengths)
        roles = ", ".join(f"{role} {count}" for role, count in sorted(self.stats.roles.items()))
        text = (
            f"tokens per row (as the trainer renders them): min {low}, median {median}, "
            f"p95 {p95}, max {top}; max_length {self.max_length}"
        )
        return text + (f"; tokens per role: {roles}" if roles else "")


def percentiles(values: array | list[int]) -> tuple[int, int, int, int]:
    """Minimum, nearest-rank median and p95, and the maximum."""
    ordered = sorted(values)
    last = len(ordered) - 1

    def rank(q: float) -> int:
        return int(ordered[min(last, int(q * len(ordered)))])

    return int(ordered[0]), rank(0.5), rank(0.95), int(ordered[last])
