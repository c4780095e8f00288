"""Conversation JSONL in and out for ``dataprep clean``.

``read_conversations`` turns ShareGPT, OpenAI messages, TRL preference and OpenAI DPO
records into the samples table and keeps each original record as JSON text.
``write_records`` writes every record back in its own format with only the turn contents
replaced (what ``scrub_pii`` changed), so fields we do not touch come out unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field

from dataprep.chat.schema import SAMPLE_SCHEMA, TURN
from dataprep.errors import ConfigError, InputError
from dataprep.io import split_output_paths
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = [
    "CONVERSATION_SCHEMA",
    "ReadConversations",
    "WriteRecords",
    "parse_record",
    "restore_record",
]

CONVERSATION_SCHEMA: dict[str, pl.DataType] = {
    **SAMPLE_SCHEMA,
    "chosen": pl.List(TURN),
    "rejected": pl.List(TURN),
    "format": pl.Utf8(),
    "record": pl.Utf8(),
}
_SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_SPLIT_ORDER = ("train", "val", "test")

Turns = list[dict[str, str]]


class NotAConversation(ValueError):
    """A JSON value that is none of the supported conversation shapes."""


def _openai_turns(messages: Any, field: str) -> Turns:
    if not isinstance(messages, list) or not messages:
        raise NotAConversation(f"{field} is not a non-empty list of messages")
    turns = []
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            raise NotAConversation(f"{field} holds an entry without a role")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise NotAConversation(
                f"{field} has non-text content (only text conversations are supported)"
            )
        turns.append({"role": str(message["role"]), "content": content or ""})
    return turns


def _sharegpt_turns(messages: Any, field: str) -> Turns:
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not messages:
        raise NotAConversation(f"{field} is not a non-empty list of turns")
    turns = []
    for message in messages:
        if (
            not isinstance(message, dict)
            or "from" not in message
            or not isinstance(message.get("value"), str | None)
        ):
            raise NotAConversation(f"{field} holds a turn without from/value text")
        role = _SHAREGPT_ROLES.get(str(message["from"]), str(message["from"]))
        turns.append({"role": role, "content": message.get("value") or ""})
    return turns


def _trl_turns(value: Any, field: str, role: str) -> Turns:
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return _openai_turns(value, field)


def parse_record(record: Any) -> tuple[str, Turns, Turns | None, Turns | None]:
    """``(format, messages, chosen, rejected)`` of one JSON record, or NotAConversation."""
    if not isinstance(record, dict):
        raise NotAConversation("the line is not a JSON object")
    if "conversations" in record:
        chosen = record.get("chosen")
        return (
            "sharegpt",
            _sharegpt_turns(record["conversations"], "conversations"),
            _sharegpt_turns(chosen, "chosen") if chosen is not None else None,
            _sharegpt_turns(record["rejected"], "rejected") if "rejected" in record else None,
        )
    if "input" in record and "preferred_output" in record:
        source = record["input"].get("messages") if isinstance(record["input"], dict) else None
        return (
            "openai_dpo",
            _openai_turns(source, "input.messages"),
            _openai_turns(record["preferred_output"], "preferred_output"),
            _openai_turns(record.get("non_preferred_output"), "non_preferred_output"),
        )
    if "chosen" in record and "rejected" in record:
        prompt = record.get("prompt")
        return (
            "trl",
            _trl_turns(prompt, "prompt", "user") if prompt is not None else [],
            _trl_turns(record["chosen"], "chosen", "assistant"),
            _trl_turns(record["rejected"], "rejected", "assistant"),
        )
    if "messages" in record:
        return "openai", _openai_turns(record["messages"], "messages"), None, None
    raise NotAConversation("no conversations, messages or prompt/chosen/rejected field")


def _put(target: Any, key: str, turns: Turns, text_key: str) -> None:
    """Write turn contents back into ``target[key]`` where they changed."""
    value = target[key]
    if isinstance(value, str):
        if turns and turns[0]["content"] != value:
            target[key] = turns[0]["content"]
        return
    entries = [value] if isinstance(value, dict) else value
    for entry, turn in zip(entries, turns, strict=False):
        if (entry.get(text_key) or "") != turn["content"]:
            entry[text_key] = turn["content"]


def restore_record(
    record: dict[str, Any], fmt: str, messages: Turns, chosen: Turns | None, rejected: Turns | None
) -> dict[str, Any]:
    """``record`` with the (possibly scrubbed) turn contents put back in place."""
    if fmt == "sharegpt":
        _put(record, "conversations", messages, "value")
        for key, turns in (("chosen", chosen), ("rejected", rejected)):
            if turns is not None and key in record:
                _put(record, key, turns, "value")
    elif fmt == "openai":
        _put(record, "messages", messages, "content")
    elif fmt == "openai_dpo":
        _put(record["input"], "messages", messages, "content")
        _put(record, "preferred_output", chosen or [], "content")
        _put(record, "non_preferred_output", rejected or [], "content")
    elif fmt == "trl":
        if record.get("prompt") is not None:
            _put(record, "prompt", messages, "content")
        _put(record, "chosen", chosen or [], "content")
        _put(record, "rejected", rejected or [], "content")
    return record


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class ReadConversationsParams(StageParams):
    batch_size: int = Field(default=10_000, ge=1, description="Records per batch.")


@register
class ReadConversations(Stage):
    """Reads conversation JSONL files line by line (memory stays flat on huge files)."""

    name = "read_conversations"
    unit = "samples"
    kind = "source"
    description = (
        "Read ShareGPT, OpenAI messages, TRL or OpenAI DPO JSONL into samples, keeping each record."
    )
    Params = ReadConversationsParams
    params: ReadConversationsParams

    def setup(self, ctx: RunContext) -> None:
        if not ctx.inputs:
            raise ConfigError("read_conversations needs at least one input file")
        for path in ctx.inputs:
            if not Path(path).is_file():
                raise InputError("no such file", path=path)

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        for path in ctx.inputs:
            rows: list[dict[str, Any]] = []
            for row in self._rows(Path(path), ctx):
                rows.append(row)
                if len(rows) >= self.params.batch_size:
                    yield pl.DataFrame(rows, schema=CONVERSATION_SCHEMA)
                    rows = []
            if rows:
                yield pl.DataFrame(rows, schema=CONVERSATION_SCHEMA)

    def _rows(self, path: Path, ctx: RunContext) -> Iterator[dict[str, Any]]:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                reason, detail, record = self._decode(raw)
                if reason is None:
                    try:
                        fmt, messages, chosen, rejected = parse_record(record)
                    except NotAConversation as error:
                        reason, detail = "not_a_conversation", str(error)
                if reason is not None:
                    where = pl.DataFrame({"source": [f"{path}:{number}"], "detail": [detail]})
                    ctx.reject(self.name, where, reason)
                    continue
                ctx.progress.advance(self.name)
                yield {
                    "id": _text_or_none(record.get("id")) or f"{path.name}:{number}",
                    "group": _text_or_none(
                        record.get("group")
                        or record.get("conversation_id")
                        or record.get("session_id")
                    ),
                    "messages": messages,
                    "speakers": [str(s) for s in record.get("speakers") or [] if s],
                    "source": f"{path}:{number}",
                    "chosen": chosen,
                    "rejected": rejected,
                    "format": fmt,
                    "record": raw.decode("utf-8").strip(),
                }

    @staticmethod
    def _decode(raw: bytes) -> tuple[str | None, str, Any]:
        try:
            return None, "", json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            return "invalid_utf8", f"byte {error.start}", None
        except json.JSONDecodeError as error:
            return "invalid_json", f"{error.msg} at column {error.colno}", None


@register
class WriteRecords(Stage):
    """Writes records back in their input format; one file per split beside ``--out``."""

    name = "write_records"
    unit = "samples"
    kind = "sink"
    description = (
        "Write conversation records back in their own format (train/val/test files beside --out)."
    )

    def setup(self, ctx: RunContext) -> None:
        if ctx.output is None:
            raise ConfigError("write_records needs --out")
        self.paths: dict[str, Path] = {}
        self.written: dict[str, int] = {}

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        assert ctx.output is not None
        handles: dict[str, Any] = {}
        for batch in batches:
            has_split = "split" in batch.columns
            if not self.paths:
                self.paths = (
                    split_output_paths(ctx.output, _SPLIT_ORDER)
                    if has_split
                    else {"train": ctx.output}
                )
                for split, path in self.paths.items():
                    handles[split] = ctx.outputs.open(path)
                    self.written[split] = 0
            for row in batch.iter_rows(named=True):
                split = (row.get("split") or "train") if has_split else "train"
                record = restore_record(
                    json.loads(row["record"]),
                    row["format"],
                    row["messages"],
                    row.get("chosen"),
                    row.get("rejected"),
                )
                handles[split].write(json.dumps(record, ensure_ascii=False) + "\n")
                self.written[split] += 1
        if not self.paths:
            handles["train"] = ctx.outputs.open(ctx.output)
            self.written["train"] = 0
        for handle in handles.values():
            handle.close()
        ctx.report[self.name] = {"records_written": dict(self.written)}
        return
        yield
