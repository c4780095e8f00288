"""Token-length checks with a local ``tokenizer.json``: predict the rows a trainer truncates or drops.

TRL truncates to ``max_length`` (default 1024 for SFT, DPO, KTO and reward configs) and drops
rows with nothing left to learn: SFT and DPO rows whose prompt alone reaches ``max_length``,
reward rows whose chosen or rejected is longer than it. With a chat template (a
``tokenizer_config.json`` beside the tokenizer, or ``--chat-template``) conversations are
rendered exactly as ``apply_chat_template`` would; without one, turns are joined with their
role names, which undercounts by the template's few tokens per turn.
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import Any

from dataprep.deps import require
from dataprep.errors import InputError
from dataprep.formats.sharegpt import SHAREGPT_ROLES
from dataprep.validate.engine import Validator
from dataprep.validate.formats import candidate_formats
from dataprep.validate.rows import trl_prompt_split

__all__ = ["DEFAULT_MAX_LENGTH", "LengthChecker", "percentiles"]

#: TRL's default ``max_length`` in SFTConfig, DPOConfig, KTOConfig and RewardConfig.
DEFAULT_MAX_LENGTH = 1024


def _load_template(
    tokenizer_path: Path, chat_template: Path | None
) -> tuple[str | None, dict[str, str]]:
    """The Jinja chat template and special tokens beside the tokenizer, if any."""
    if chat_template is not None:
        try:
            return chat_template.read_text(encoding="utf-8"), {}
        except OSError as error:
            raise InputError(
                f"cannot read the chat template ({error.strerror})", path=chat_template
            ) from None
    config_path = tokenizer_path.parent / "tokenizer_config.json"
    if not config_path.exists():
        return None, {}
    config = json.loads(config_path.read_text(encoding="utf-8"))
    tokens = {
        key: value
        for key in ("bos_token", "eos_token")
        if isinstance(value := config.get(key), str)
    }
    template = config.get("chat_template")
    return (template if isinstance(template, str) else None), tokens


class LengthChecker:
    """A row hook for ``validate_file`` that counts tokens and emits L001/L002."""

    def __init__(
        self,
        tokenizer_path: str | Path,
        max_length: int = DEFAULT_MAX_LENGTH,
        chat_template: str | Path | None = None,
    ) -> None:
        tokenizers = require("tokenizers", extra="trainers")
        path = Path(tokenizer_path)
        if path.is_dir():
            path = path / "tokenizer.json"
        try:
            self._tokenizer = tokenizers.Tokenizer.from_file(str(path))
        except Exception as error:  # tokenizers raises a bare Exception on a bad file
            raise InputError(
                f"cannot load the tokenizer ({error})",
                path=path,
                hint="Pass a local tokenizer.json",
            ) from None
        template, self._special = _load_template(
            path, Path(chat_template) if chat_template else None
        )
        self._template = None
        if template is not None:
            self._template = _compile(template)
        self.max_length = max_length
        self.lengths = array("I")
        self.exact = self._template is not None

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def render(self, turns: list[Any], generation_prompt: bool = False) -> str:
        """A message list as the model sees it: through the chat template when there is one."""
        if self._template is not None:
            return self._template.render(
                messages=turns, add_generation_prompt=generation_prompt, **self._special
            )
        parts = [
            f"{t.get('role', t.get('from'))}\n{t.get('content', t.get('value'))}"
            for t in turns
            if isinstance(t, dict)
        ]
        return "\n".join(parts) + ("\nassistant\n" if generation_prompt else "")

    def _tokens(self, value: Any, generation_prompt: bool = False) -> int:
        if isinstance(value, str):
            return self.count(value)
        if isinstance(value, list):
            return self.count(self.render(value, generation_prompt))
        return 0

    def __call__(self, row: dict[str, Any], line: int, validator: Validator) -> None:
        profile = validator.report.profile
        formats = candidate_formats(row, profile)
        if len(formats) != 1 or profile == "auto":
            return
        try:
            self._check(row, formats[0], profile, validator)
        except (TypeError, KeyError, AttributeError, IndexError):
            return  # a malformed row, already reported by the row checks
        except Exception as error:
            if type(error).__module__.startswith("jinja2"):
                validator.emit("L003", "", f"the chat template fails on this row: {error}")
                return
            raise

    def _check(self, row: dict[str, Any], fmt: str, profile: str, validator: Validator) -> None:
        limit = self.max_length
        if fmt in ("messages", "sharegpt", "text"):
            if fmt == "sharegpt":  # rendered after the role mapping TRL users need anyway
                value: Any = [
                    {
                        "role": SHAREGPT_ROLES.get(turn.get("from"), turn.get("from")),
                        "content": turn.get("value"),
                    }
                    for turn in row["conversations"]
                ]
            else:
                value = row.get(fmt)
            total = self._tokens(value)
            self.lengths.append(total)
            if total > limit:
                validator.emit(
                    "L001", "", f"{total} tokens > max_length {limit}: the trainer truncates it"
                )
            return
        if fmt in ("prompt_completion", "unpaired_preference", "prompt_only"):
            self._check_prompt_completion(row, fmt, profile, validator)
            return
        self._check_preference(row, profile, validator)

    def _check_prompt_completion(
        self, row: dict[str, Any], fmt: str, profile: str, validator: Validator
    ) -> None:
        prompt = self._tokens(row.get("prompt"), generation_prompt=True)
        total = prompt + (self._tokens(row.get("completion")) if fmt != "prompt_only" else 0)
        self.lengths.append(total)
        limit = self.max_length
        if profile == "sft" and prompt >= limit:
            validator.emit(
                "L002",
                "/prompt",
                f"prompt alone is {prompt} tokens >= max_length {limit}: no completion token survives truncation, so TRL drops the row",
            )
        elif total > limit:
            validator.emit(
                "L001", "", f"{total} tokens > max_length {limit}: the trainer truncates it"
            )

    def _check_preference(self, row: dict[str, Any], profile: str, validator: Validator) -> None:
        chosen, rejected = row.get("chosen"), row.get("rejected")
        if "prompt" in row:
            prompt = self._tokens(row["prompt"], generation_prompt=True)
            chosen_total, rejected_total = (
                prompt + self._tokens(chosen),
                prompt + self._tokens(rejected),
            )
        else:
            chosen_total, rejected_total = self._tokens(chosen), self._tokens(rejected)
            split, _ = trl_prompt_split(chosen, rejected) if chosen and rejected else (0, False)
            prompt = self._tokens(chosen[: max(split, 0)]) if isinstance(chosen, str | list) else 0
        longest = max(chosen_total, rejected_total)
        self.lengths.append(longest)
        limit = self.max_length
        if profile == "reward" and longest > limit:
            validator.emit(
                "L002",
                "",
                f"chosen or rejected is {longest} tokens > max_length {limit}: RewardTrainer drops the row",
            )
        elif profile in ("dpo", "kto") and prompt >= limit:
            validator.emit(
                "L002",
                "/prompt",
                f"prompt is {prompt} tokens >= max_length {limit}: DPOTrainer drops the row",
            )
        elif longest > limit:
            validator.emit(
                "L001", "", f"{longest} tokens > max_length {limit}: the trainer truncates it"
            )

    def summary(self) -> str | None:
        """Token percentiles of the rows measured, for the report's notes."""
        if not self.lengths:
            return None
        p50, p90, p99, top = percentiles(self.lengths)
        how = "chat template" if self.exact else "approximate, no chat template"
        return f"tokens per row ({how}): p50 {p50}, p90 {p90}, p99 {p99}, max {top}; max_length {self.max_length}"


def percentiles(values: array | list[int]) -> tuple[int, int, int, int]:
    """Nearest-rank p50, p90, p99 and the maximum."""
    ordered = sorted(values)
    last = len(ordered) - 1

    def rank(q: float) -> int:
        return int(ordered[min(last, int(q * len(ordered)))])

    return rank(0.5), rank(0.9), rank(0.99), int(ordered[last])


def _compile(template: str) -> Any:
    """Compile a chat template the way transformers does (sandboxed Jinja, trimmed blocks)."""
    jinja2 = require("jinja2", extra="trainers")
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template)
