"""Generic inputs: one message per JSONL line or CSV row; ShareGPT, OpenAI-messages and
Alpaca conversations.

Generic JSONL/CSV take their column names from ``ReaderOptions`` (``--speaker-column`` and
friends). ShareGPT, OpenAI and Alpaca files hold one conversation per JSONL line, or one per
element of a JSON array (the ``.json`` datasets of LLaMA-Factory), read an element at a time.
A conversation's id is ``<file>:<n>`` with n its line (JSONL) or element number (array);
its time is unknown, and speakers are ``user``/``assistant``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dataprep import safejson
from dataprep.chat.readers import ReaderOptions, Rejecter
from dataprep.chat.readers._json_stream import JsonCursor, TextSource, iter_lines
from dataprep.chat.readers._reader_kit import (
    MessageBatcher,
    first_json_line,
    has_json_key,
    head_is_whole,
    iter_csv_records,
    parse_timestamp,
    whole_input,
)
from dataprep.errors import InputError
from dataprep.formats.sharegpt import FROM_CHAT_ROLE, SHAREGPT_ROLES

__all__ = [
    "READERS",
    "AlpacaReader",
    "CsvReader",
    "JsonlReader",
    "OpenAIReader",
    "ShareGPTReader",
    "alpaca_turns",
]

_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_USER_ROLES = {name for name, role in SHAREGPT_ROLES.items() if role == "user"}
_ASSISTANT_ROLES = {FROM_CHAT_ROLE["assistant"], "assistant", "chatgpt", "bing", "bard", "model"}
_PROMPT_ROLES = {"system", "developer"}


def _role_fields(role: str) -> dict[str, Any]:
    """speaker/is_me/kind for a conversation role (``human``, ``gpt``, ``system``, ``tool``...)."""
    lowered = role.lower()
    if lowered in _PROMPT_ROLES:
        return {"speaker": "system", "is_me": None, "kind": "prompt"}
    if lowered in _USER_ROLES:
        return {"speaker": "user", "is_me": False, "kind": "text"}
    if lowered in _ASSISTANT_ROLES:
        return {"speaker": "assistant", "is_me": True, "kind": "text"}
    return {"speaker": role, "is_me": None, "kind": "text"}


def _first_record(path: Path, head: str, suffixes: set[str]) -> dict[str, Any] | None:
    if path.suffix.lower() not in suffixes:
        return None
    value = first_json_line(head, head_is_whole(path))
    return value if isinstance(value, dict) else None


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _iter_objects(
    path: Path, options: ReaderOptions, reject: Rejecter
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` per JSONL line; bad lines become counted rejects."""
    source = str(path)
    for number, line in enumerate(iter_lines(TextSource(path, options.encoding)), start=1):
        if not line.strip():
            continue
        try:
            value = safejson.loads(line)
        except json.JSONDecodeError:
            reject(source, number, "invalid_json", line.rstrip("\r\n")[:1000])
            continue
        if isinstance(value, dict):
            yield number, value
        else:
            reject(source, number, "line_not_an_object", line.rstrip("\r\n")[:1000])


def _iter_records(
    path: Path, options: ReaderOptions, reject: Rejecter
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(n, object)`` per JSONL line, or per element of a top-level JSON array (streamed)."""
    cursor = JsonCursor(TextSource(path, options.encoding), path)
    if cursor.peek() != "[":
        yield from _iter_objects(path, options, reject)
        return
    source = str(path)
    for position in cursor.elements():
        value = cursor.value()
        if isinstance(value, dict):
            yield position, value
        else:
            reject(source, position, "element_not_an_object", _raw(value)[:1000])
    cursor.end()


def _array_head_has(head: str, *keys: str) -> bool:
    """True when ``head`` starts a JSON array (or object) that uses every key in ``keys``."""
    return head.lstrip().startswith(("[", "{")) and has_json_key(head, *keys)


# --- ShareGPT, OpenAI messages and Alpaca: one conversation per line or array element -----


def sharegpt_turns(record: dict[str, Any]) -> list[dict[str, Any]] | str:
    """The turns of a ShareGPT record as row fields, or a reject reason."""
    conversation = record.get("conversations")
    if not isinstance(conversation, list):
        return "no_conversations_list"
    turns: list[dict[str, Any]] = []
    system = record.get("system")
    if isinstance(system, str) and system.strip():
        turns.append({"text": system, **_role_fields("system")})
    for turn in conversation:
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            return "bad_turn"
        turns.append({"text": turn["value"], **_role_fields(str(turn.get("from") or ""))})
    return turns


def _openai_content(content: Any) -> tuple[str, str] | None:
    """(text, kind) of an OpenAI ``content``: a string, null, or a list of typed parts."""
    if content is None:
        return "", "text"
    if isinstance(content, str):
        return content, "text"
    if not isinstance(content, list):
        return None
    texts = [
        str(part.get("text") or "")
        for part in content
        if isinstance(part, dict) and part.get("type") == "text"
    ]
    if texts:
        return "\n".join(texts), "text"
    kinds = sorted({str(part.get("type")) for part in content if isinstance(part, dict)})
    return "<" + ", ".join(kinds or ["empty"]) + ">", "media"


def openai_turns(record: dict[str, Any]) -> list[dict[str, Any]] | str:
    """The turns of an OpenAI-messages record as row fields, or a reject reason."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return "no_messages_list"
    turns: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return "bad_turn"
        content = _openai_content(message.get("content"))
        if content is None:
            return "bad_turn"
        fields = _role_fields(message["role"])
        if content[1] == "media":
            fields["kind"] = "media"
        turns.append({**fields, "text": content[0]})
    return turns


class _ConversationJsonlReader:
    """Shared reading for the one-conversation-per-line formats."""

    name = ""
    suffixes = _JSONL_SUFFIXES | {".json"}

    def turns(self, record: dict[str, Any]) -> list[dict[str, Any]] | str:
        raise NotImplementedError

    @whole_input
    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        source = str(path)
        batcher = MessageBatcher()
        for line, record in _iter_records(path, options, reject):
            turns = self.turns(record)
            if isinstance(turns, str):
                reject(source, line, turns, json.dumps(record, ensure_ascii=False)[:1000])
                continue
            for turn in turns:
                full = batcher.add(
                    conversation=f"{source}:{line}", source_file=source, source_line=line, **turn
                )
                if full is not None:
                    yield full
        yield from batcher.drain()


class ShareGPTReader(_ConversationJsonlReader):
    """``{"conversations": [{"from", "value"}], "system"?}`` per line."""

    name = "sharegpt"

    def sniff(self, path: Path, head: str) -> bool:
        record = _first_record(path, head, self.suffixes)
        if record is not None:
            return isinstance(record.get("conversations"), list)
        return path.suffix.lower() in self.suffixes and _array_head_has(
            head, "conversations", "from", "value"
        )

    def turns(self, record: dict[str, Any]) -> list[dict[str, Any]] | str:
        return sharegpt_turns(record)


class OpenAIReader(_ConversationJsonlReader):
    """``{"messages": [{"role", "content"}]}`` per line (OpenAI fine-tuning format)."""

    name = "openai"

    def sniff(self, path: Path, head: str) -> bool:
        record = _first_record(path, head, self.suffixes)
        if record is not None:
            messages = record.get("messages")
            return (
                isinstance(messages, list)
                and bool(messages)
                and isinstance(messages[0], dict)
                and "role" in messages[0]
            )
        return path.suffix.lower() in self.suffixes and _array_head_has(
            head, "messages", "role", "content"
        )

    def turns(self, record: dict[str, Any]) -> list[dict[str, Any]] | str:
        return openai_turns(record)


def alpaca_turns(record: dict[str, Any]) -> list[dict[str, Any]] | str:
    """The turns of an Alpaca record (``system``, ``history``, ``instruction`` + ``input``,
    ``output``), or a reject reason."""
    instruction, output = record.get("instruction"), record.get("output")
    if not isinstance(instruction, str) or not isinstance(output, str):
        return "no_instruction_or_output"
    turns: list[dict[str, Any]] = []
    system = record.get("system")
    if isinstance(system, str) and system.strip():
        turns.append({"text": system, **_role_fields("system")})
    for pair in record.get("history") or []:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            return "bad_history"
        turns.append({"text": pair[0], **_role_fields("user")})
        turns.append({"text": pair[1], **_role_fields("assistant")})
    extra = record.get("input")
    prompt = f"{instruction}\n{extra}" if isinstance(extra, str) and extra.strip() else instruction
    turns.append({"text": prompt, **_role_fields("user")})
    turns.append({"text": output, **_role_fields("assistant")})
    return turns


class AlpacaReader(_ConversationJsonlReader):
    """``{"instruction", "input"?, "output", "system"?, "history"?}`` per line or element."""

    name = "alpaca"

    def sniff(self, path: Path, head: str) -> bool:
        record = _first_record(path, head, self.suffixes)
        if record is not None:
            return isinstance(record.get("instruction"), str) and "output" in record
        return path.suffix.lower() in self.suffixes and _array_head_has(
            head, "instruction", "output"
        )

    def turns(self, record: dict[str, Any]) -> list[dict[str, Any]] | str:
        return alpaca_turns(record)


# --- Generic: one message per JSONL line or CSV row ----------------------------------------


def generic_row(record: dict[str, Any], options: ReaderOptions) -> dict[str, Any] | str:
    """Row fields for one generic record (conversation key included), or a reject reason."""
    text = record.get(options.text_column)
    if text is None:
        return "missing_text_field"
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return "text_not_a_string"
    role = record.get(options.role_column) if options.role_column else None
    fields = (
        _role_fields(str(role))
        if role not in (None, "")
        else {"speaker": None, "is_me": None, "kind": "text"}
    )
    speaker = record.get(options.speaker_column)
    if speaker not in (None, ""):
        fields["speaker"] = str(speaker)
    key = record.get(options.conversation_column) if options.conversation_column else None
    message_id = record.get("message_id", record.get("id"))
    return {
        **fields,
        "conversation_key": None if key in (None, "") else str(key),
        "speaker_id": None if record.get("speaker_id") is None else str(record["speaker_id"]),
        "text": str(text),
        "time": parse_timestamp(record.get(options.time_column)) if options.time_column else None,
        "message_id": None if message_id is None else str(message_id),
        "reply_to": None if record.get("reply_to") is None else str(record["reply_to"]),
    }


def _add_generic(
    batcher: MessageBatcher, row: dict[str, Any], source: str, line: int
) -> pl.DataFrame | None:
    key = row.pop("conversation_key")
    conversation = source if key is None else f"{source}#{key}"
    return batcher.add(
        conversation=conversation, chat=key, source_file=source, source_line=line, **row
    )


class JsonlReader:
    """One message per JSONL line, with configurable field names."""

    name = "jsonl"

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() not in _JSONL_SUFFIXES:
            return False
        if head.lstrip().startswith("{"):
            return True
        return _first_record(path, head, _JSONL_SUFFIXES) is not None

    @whole_input
    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        source = str(path)
        batcher = MessageBatcher()
        # Missing-text rejects wait until one record has the field: when none has it, the
        # column name is wrong and the whole file is an error, not thousands of rejects.
        held: list[tuple[int, str]] = []
        for line, record in _iter_objects(path, options, reject):
            row = generic_row(record, options)
            if row == "missing_text_field" and batcher.count == 0:
                held.append((line, json.dumps(record, ensure_ascii=False)[:1000]))
                continue
            if isinstance(row, str):
                reject(source, line, row, json.dumps(record, ensure_ascii=False)[:1000])
                continue
            for held_line, raw in held:
                reject(source, held_line, "missing_text_field", raw)
            held.clear()
            full = _add_generic(batcher, row, source, line)
            if full is not None:
                yield full
        if held:
            raise InputError(
                f"no line has the text field {options.text_column!r}",
                path=path,
                line=held[0][0],
                hint="You can fix this by naming the field that holds the message with --set read_chat.text_column=FIELD",
            )
        yield from batcher.drain()


def _check_header(path: Path, header: list[str], options: ReaderOptions) -> None:
    # The column names are not echoed: without a header line they are a message's text.
    shown = f"{len(header)} columns in the first line; a CSV needs a header line naming them"
    if options.text_column not in header:
        raise InputError(
            f"no {options.text_column!r} column ({shown})",
            path=path,
            line=1,
            hint="You can fix this by naming the column that holds the message with --set read_chat.text_column=COLUMN",
        )
    if options.speaker_column not in header and (options.role_column or "") not in header:
        raise InputError(
            f"no {options.speaker_column!r} or {options.role_column!r} column ({shown})",
            path=path,
            line=1,
            hint="You can fix this with --set read_chat.speaker_column=COLUMN (or read_chat.role_column)",
        )


class CsvReader:
    """One message per CSV row, with configurable column names and a header line."""

    name = "csv"

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() == ".csv" and bool(head.strip())

    @whole_input
    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        records = iter_csv_records(iter_lines(TextSource(path, options.encoding)), path)
        header = [name.strip() for name in next(records, (1, []))[1]]
        _check_header(path, header, options)
        source = str(path)
        batcher = MessageBatcher()
        for line, fields in records:
            if len(fields) != len(header):
                reject(source, line, "wrong_field_count", ",".join(fields)[:1000])
                continue
            row = generic_row(dict(zip(header, fields, strict=True)), options)
            if isinstance(row, str):
                reject(source, line, row, ",".join(fields)[:1000])
                continue
            full = _add_generic(batcher, row, source, line)
            if full is not None:
                yield full
        yield from batcher.drain()


READERS = [ShareGPTReader(), OpenAIReader(), AlpacaReader(), JsonlReader(), CsvReader()]
