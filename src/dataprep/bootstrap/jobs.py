"""The two kinds of bootstrap job: generate new samples, or pair real SFT replies with generic ones.

A job numbers its requests 0, 1, 2, ...; ``build(index, mode)`` makes request ``index``
and ``settle(index, ...)`` turns its parsed reply into an output row or a reject reason.
Settling happens strictly in index order, and request ``index`` only sees rows accepted
from requests older than ``index - window``, so the output is the same at any concurrency.
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dataprep.bootstrap.client import ChatReply, ChatRequest
from dataprep.bootstrap.dedupe import SimilarTextIndex, jaccard
from dataprep.bootstrap.tasks import (
    Seed,
    example_json,
    normalise_row,
    output_style,
    sample_model,
    sample_text,
    shared_system_prompt,
    to_output_row,
)
from dataprep.bootstrap.templates import REPAIR_PROMPT, render
from dataprep.io import iter_jsonl

__all__ = ["GenerateJob", "Parsed", "PreferenceFromSftJob", "parse_json_reply", "response_format"]

MODES = ("json_schema", "json_object", "text")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


@dataclass
class Parsed:
    """A reply read as a sample, or the problem (``repairable`` ones get one more try)."""

    sample: dict[str, Any] | None = None
    reason: str | None = None
    detail: str = ""
    repairable: bool = False


def finish_problem(reply: ChatReply) -> str | None:
    """Reject reason for replies that were cut off, filtered or empty."""
    if reply.finish_reason == "length":
        return "finish_length"
    if reply.finish_reason == "content_filter":
        return "finish_content_filter"
    if not (reply.content or "").strip():
        return "empty_reply"
    return None


@functools.cache
def strict_schema(model: Any) -> dict[str, Any]:
    """The model's JSON Schema without the length keywords strict structured output rejects."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in ("minLength", "minItems")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    schema: dict[str, Any] = clean(model.model_json_schema())
    return schema


def response_format(model: Any, mode: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        schema = {"name": model.__name__, "schema": strict_schema(model), "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def parse_json_reply(content: str, model: type[Any]) -> Parsed:
    """Read one JSON object from ``content`` (code fences and prose around it tolerated)."""
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return Parsed(reason="invalid_json", detail="no JSON object in the reply", repairable=True)
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError as error:
        return Parsed(reason="invalid_json", detail=f"invalid JSON ({error.msg})", repairable=True)
    try:
        sample = model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "(root)"
        return Parsed(reason="schema_mismatch", detail=f"{where}: {first['msg']}", repairable=True)
    return Parsed(sample=sample.model_dump(mode="json"))


@dataclass
class Accepted:
    index: int
    sample: dict[str, Any]


@dataclass
class GenerateJob:
    """Self-Instruct style generation of SFT, DPO or KTO rows from seeds."""

    task: str
    seeds: list[Seed]
    system: str
    template: str
    model: str
    temperature: float
    max_tokens: int
    seed: int
    examples: int = 3
    generated_examples: int = 2
    window: int = 64
    dedupe: SimilarTextIndex | None = None
    accepted: list[Accepted] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sample_model = sample_model(self.task)
        self.style = output_style(self.task, self.seeds)
        self.row_system = shared_system_prompt(self.seeds) if self.task == "sft" else None
        self.schema = self.sample_model.model_json_schema()
        if self.dedupe is not None:
            for seed in self.seeds:
                self.dedupe.add(f"seed:{seed.line}", seed.text())

    def build(self, index: int, mode: str) -> tuple[ChatRequest, dict[str, Any]]:
        """Request ``index``: sampled seeds plus older accepted rows, shuffled, with a seed."""
        rng = random.Random(f"{self.seed}:{index}")
        shown = rng.sample(self.seeds, min(self.examples, len(self.seeds)))
        eligible = [a for a in self.accepted if a.index < index - self.window]
        machine = rng.sample(eligible, min(self.generated_examples, len(eligible)))
        examples = [example_json(s.example()) for s in shown] + [
            example_json(a.sample) for a in machine
        ]
        rng.shuffle(examples)
        user = render(self.template, task=self.task, examples=examples, schema=self.schema)
        request = ChatRequest(
            model=self.model,
            messages=(("system", self.system), ("user", user)),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=rng.randrange(2**31),
            response_format=response_format(self.sample_model, mode),
        )
        meta = {
            "seed_lines": [s.line for s in shown],
            "example_requests": [a.index for a in machine],
        }
        return request, meta

    def parse(self, reply: ChatReply) -> Parsed:
        return parse_json_reply(reply.content or "", self.sample_model)

    def repair(self, request: ChatRequest, reply: ChatReply, parsed: Parsed) -> ChatRequest:
        """The one repair request: the bad reply shown back with what was wrong."""
        problem = REPAIR_PROMPT.format(problem=parsed.detail or parsed.reason)
        messages = (*request.messages, ("assistant", reply.content or ""), ("user", problem))
        return ChatRequest(
            model=request.model,
            messages=messages,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            seed=request.seed,
            response_format=request.response_format,
        )

    def row(self, index: int, sample: dict[str, Any]) -> dict[str, Any]:
        """The output row for a parsed sample, in the seeds' style."""
        return to_output_row(sample, self.task, self.style, self.row_system)

    def accept(self, index: int, sample: dict[str, Any]) -> str | None:
        """Keep a valid sample unless it nearly duplicates a seed or an accepted row."""
        if self.dedupe is not None:
            match = self.dedupe.match_or_add(f"gen:{index}", sample_text(sample))
            if match is not None:
                return (
                    "near_duplicate_seed"
                    if match.startswith("seed:")
                    else "near_duplicate_generated"
                )
        self.accepted.append(Accepted(index, sample))
        return None

    @property
    def profile(self) -> str:
        return self.task


@dataclass(frozen=True)
class SftItem:
    line: int
    prompt: tuple[tuple[str, str], ...]
    chosen: str


def read_sft_items(path: Path, limit: int | None) -> tuple[list[SftItem], list[tuple[int, str]]]:
    """Conversations usable as DPO prompts (ending in an assistant reply), and the rest with reasons."""
    items: list[SftItem] = []
    bad: list[tuple[int, str]] = []
    for line, value, error in iter_jsonl(path):
        if limit is not None and len(items) >= limit:
            break
        seed = error or normalise_row(value, line)
        if isinstance(seed, str):
            bad.append((line, "invalid_row"))
            continue
        if seed.kind != "sft":
            bad.append((line, "not_a_conversation"))
            continue
        turns = seed.messages
        if (
            len(turns) < 2
            or turns[-1][0] != "assistant"
            or not any(r == "user" for r, _ in turns[:-1])
        ):
            bad.append((line, "no_final_assistant_reply"))
            continue
        items.append(SftItem(line, turns[:-1], turns[-1][1]))
    return items, bad


@dataclass
class PreferenceFromSftJob:
    """DPO pairs from real conversations: the real last reply is ``chosen``, a generic one ``rejected``."""

    items: list[SftItem]
    system: str
    model: str
    temperature: float
    max_tokens: int
    seed: int
    threshold: float = 0.7
    window: int = 0
    profile: str = "dpo"

    def build(self, index: int, mode: str) -> tuple[ChatRequest, dict[str, Any]]:
        item = self.items[index]
        turns = tuple(t for t in item.prompt if t[0] != "system")
        request = ChatRequest(
            model=self.model,
            messages=(("system", self.system), *turns),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=random.Random(f"{self.seed}:{index}").randrange(2**31),
        )
        return request, {"input_line": item.line}

    def parse(self, reply: ChatReply) -> Parsed:
        return Parsed(sample={"rejected": (reply.content or "").strip()})

    def repair(self, request: ChatRequest, reply: ChatReply, parsed: Parsed) -> ChatRequest:
        raise AssertionError("plain replies are never repaired")

    def row(self, index: int, sample: dict[str, Any]) -> dict[str, Any]:
        item = self.items[index]
        return {
            "prompt": [{"role": r, "content": c} for r, c in item.prompt],
            "chosen": [{"role": "assistant", "content": item.chosen}],
            "rejected": [{"role": "assistant", "content": sample["rejected"]}],
        }

    def accept(self, index: int, sample: dict[str, Any]) -> str | None:
        """Drop pairs whose generic reply is nearly the real one: they teach nothing."""
        if jaccard(self.items[index].chosen, sample["rejected"]) >= self.threshold:
            return "rejected_too_close_to_chosen"
        return None
