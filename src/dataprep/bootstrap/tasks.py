"""Task types: what a seed row looks like, what the model must return, what is written.

Seeds may be OpenAI ``messages`` or ShareGPT ``conversations`` (what ``dataprep chat``
writes), TRL preference rows (``prompt``/``chosen``/``rejected``) or KTO rows
(``prompt``/``completion``/``label``), standard (strings) or conversational (message lists).
Every row is normalised to a ``Seed``; the model answers in a small pydantic shape
(``SftSample``, ``DpoSample``, ``KtoSample``) that is turned into the output row in the
seeds' own style.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dataprep.errors import ConfigError, InputError
from dataprep.formats import NotAConversation, output_writer
from dataprep.formats.base import message_turns
from dataprep.formats.sharegpt import sharegpt_turns
from dataprep.io import iter_jsonl
from dataprep.tables import TURN

__all__ = [
    "GENERATION_TASKS",
    "TASKS",
    "DpoSample",
    "KtoSample",
    "Seed",
    "SftSample",
    "load_seeds",
    "normalise_row",
    "sample_model",
    "sample_text",
    "to_output_row",
]

TASKS = ("sft", "dpo", "kto", "dpo-from-sft")
GENERATION_TASKS = ("sft", "dpo", "kto")
Style = Literal["messages", "sharegpt", "standard", "conversational"]

_SEED_ROLES = ("system", "user", "assistant")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class SftSample(_Strict):
    """One new conversation: user and assistant turns, ending with the assistant."""

    messages: list[Turn] = Field(min_length=2)

    @model_validator(mode="after")
    def _ends_with_assistant(self) -> SftSample:
        if self.messages[-1].role != "assistant" or self.messages[0].role != "user":
            raise ValueError("the conversation must start with user and end with assistant")
        return self


class DpoSample(_Strict):
    """One preference pair: a prompt, a better reply and a worse one."""

    prompt: str = Field(min_length=1)
    chosen: str = Field(min_length=1)
    rejected: str = Field(min_length=1)


class KtoSample(_Strict):
    """One unpaired preference row: a prompt, a reply, and whether the reply is good."""

    prompt: str = Field(min_length=1)
    completion: str = Field(min_length=1)
    label: bool


def sample_model(task: str) -> type[_Strict]:
    models: dict[str, type[_Strict]] = {"sft": SftSample, "dpo": DpoSample, "kto": KtoSample}
    return models[task]


@dataclass(frozen=True)
class Seed:
    """A normalised input row: its line, its shape, and its parts as plain strings."""

    line: int
    kind: Literal["sft", "dpo", "kto"]
    style: Style
    messages: tuple[tuple[str, str], ...] = ()
    prompt: str = ""
    chosen: str = ""
    rejected: str = ""
    label: bool | None = None

    def example(self) -> dict[str, Any]:
        """The seed in the generation shape of its kind, as shown to the model."""
        if self.kind == "sft":
            turns = [{"role": r, "content": c} for r, c in self.messages if r != "system"]
            return {"messages": turns}
        if self.kind == "dpo":
            return {"prompt": self.prompt, "chosen": self.chosen, "rejected": self.rejected}
        return {"prompt": self.prompt, "completion": self.chosen, "label": self.label}

    def text(self) -> str:
        """All of the seed's text, for near-duplicate checks."""
        return sample_text(self.example())


def _messages(value: Any, sharegpt: bool) -> tuple[tuple[str, str], ...] | None:
    """The seed's turns, read by the ShareGPT or messages format; None when unusable."""
    try:
        turns = (
            sharegpt_turns(value, "conversations") if sharegpt else message_turns(value, "messages")
        )
    except NotAConversation:
        return None
    if any(turn["role"] not in _SEED_ROLES for turn in turns):
        return None
    return tuple((turn["role"], turn["content"]) for turn in turns)


def _text(value: Any) -> tuple[str | None, bool]:
    """A preference field as a string, and whether it was a message list."""
    if isinstance(value, str):
        return value, False
    turns = _messages(value, sharegpt=False)
    if turns is None:
        return None, False
    return "\n\n".join(content for _, content in turns), True


def normalise_row(row: Any, line: int) -> Seed | str:
    """A ``Seed`` for ``row``, or a short reason why it is not a row bootstrap understands."""
    if not isinstance(row, dict):
        return "not a JSON object"
    if "messages" in row or "conversations" in row:
        sharegpt = "conversations" in row
        turns = _messages(row.get("conversations" if sharegpt else "messages"), sharegpt)
        if turns is None:
            return (
                "messages are not a list of role/content turns with user, assistant or system roles"
            )
        return Seed(line, "sft", "sharegpt" if sharegpt else "messages", messages=turns)
    if "chosen" in row and "rejected" in row:
        prompt, p_list = _text(row.get("prompt", ""))
        chosen, c_list = _text(row["chosen"])
        rejected, _ = _text(row["rejected"])
        if prompt is None or not chosen or not rejected:
            return "prompt, chosen or rejected is not a string or a message list"
        style: Style = "conversational" if (p_list or c_list) else "standard"
        return Seed(line, "dpo", style, prompt=prompt, chosen=chosen, rejected=rejected)
    if "completion" in row and "label" in row:
        prompt, p_list = _text(row.get("prompt", ""))
        completion, c_list = _text(row["completion"])
        if prompt is None or not completion or not isinstance(row["label"], bool):
            return "prompt/completion is not text or label is not true/false"
        style = "conversational" if (p_list or c_list) else "standard"
        return Seed(line, "kto", style, prompt=prompt, chosen=completion, label=row["label"])
    return "unknown row shape (expected messages, conversations, prompt/chosen/rejected or prompt/completion/label)"


def load_seeds(path: Path) -> list[Seed]:
    """Read a seed file; any unreadable row is an error (seeds are few and hand-picked)."""
    seeds: list[Seed] = []
    for line, value, error in iter_jsonl(path):
        if error:
            raise InputError(error, path=path, line=line)
        seed = normalise_row(value, line)
        if isinstance(seed, str):
            raise InputError(seed, path=path, line=line)
        if seeds and (seed.kind, seed.style) != (seeds[0].kind, seeds[0].style):
            raise InputError(
                f"row is {seed.kind}/{seed.style} but line {seeds[0].line} is {seeds[0].kind}/{seeds[0].style}",
                path=path,
                line=line,
                hint="Keep one format per seed file",
            )
        seeds.append(seed)
    if not seeds:
        raise InputError("the seed file has no rows", path=path)
    return seeds


def output_style(task: str, seeds: list[Seed]) -> Style:
    """SFT rows keep the seeds' messages/ShareGPT style; DPO and KTO rows are conversational
    unless the seeds are standard (string) preference or KTO rows."""
    first = seeds[0]
    if task == "sft":
        if first.kind != "sft":
            raise ConfigError(
                f"--task sft needs conversation seeds (messages or conversations); the seeds are {first.kind} rows"
            )
        return first.style
    return (
        "standard"
        if first.kind in ("dpo", "kto") and first.style == "standard"
        else "conversational"
    )


def shared_system_prompt(seeds: list[Seed]) -> str | None:
    """The system message every seed conversation starts with, if they all share one."""
    systems = {
        s.messages[0][1] if s.messages and s.messages[0][0] == "system" else None for s in seeds
    }
    return systems.pop() if len(systems) == 1 else None


def _conversational(role: str, text: str) -> list[dict[str, str]]:
    return [{"role": role, "content": text}]


def _written(output_format: str, preference: bool, row: dict[str, Any]) -> dict[str, Any]:
    """One row written by the registry's writer for ``output_format`` (as the chat writer does)."""
    schema = {key: pl.List(TURN) for key in row}
    frame = pl.DataFrame([row], schema=schema)
    written: dict[str, Any] = output_writer(output_format, preference)(frame).to_dicts()[0]
    return written


def to_output_row(
    sample: dict[str, Any], task: str, style: Style, system: str | None = None
) -> dict[str, Any]:
    """The row written to ``--out`` for a validated generation ``sample``."""
    if task == "sft":
        turns = [{"role": t["role"], "content": t["content"]} for t in sample["messages"]]
        if system is not None:
            turns.insert(0, {"role": "system", "content": system})
        return _written("sharegpt" if style == "sharegpt" else "openai", False, {"messages": turns})
    reply_key = "chosen" if task == "dpo" else "completion"
    if style == "standard":
        row = {"prompt": sample["prompt"], reply_key: sample[reply_key]}
        if task == "dpo":
            row["rejected"] = sample["rejected"]
    elif task == "dpo":
        pair = {
            "messages": _conversational("user", sample["prompt"]),
            "chosen": _conversational("assistant", sample["chosen"]),
            "rejected": _conversational("assistant", sample["rejected"]),
        }
        row = _written("trl", True, pair)
    else:
        row = {
            "prompt": _conversational("user", sample["prompt"]),
            reply_key: _conversational("assistant", sample[reply_key]),
        }
    if task == "kto":
        row["label"] = sample["label"]
    return row


def sample_text(sample: dict[str, Any]) -> str:
    """The text near-duplicate checks compare: every string in the sample, in order."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("role", "from"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(sample)
    return "\n".join(parts)


def example_json(sample: dict[str, Any]) -> str:
    return json.dumps(sample, ensure_ascii=False)
