"""LLaMA-Factory's alpaca format: ``instruction``, ``input``, ``output``, ``system``, ``history``.

LLaMA-Factory reads a row as: each ``history`` pair ``[user, assistant]`` as two turns, then
one user turn ``instruction + "\\n" + input`` (empty parts left out), answered by ``output``;
``system`` is the system prompt. Preference rows (``ranking: true``) carry ``chosen`` and
``rejected`` strings instead of ``output``. Declare a written file in ``dataset_info.json``
with ``"columns": {"prompt": "instruction", "query": "input", "response": "output",
"system": "system", "history": "history"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import Conversation, NotAConversation, RecordFormat, Turns

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FORMAT", "Alpaca", "AlpacaPreference"]

_HISTORY = Field(
    default=None, description="Earlier rounds as [user, assistant] pairs, oldest first."
)


class Alpaca(BaseModel):
    """One LLaMA-Factory alpaca row: the last user turn, its answer, and the rounds before it."""

    model_config = ConfigDict(extra="allow")

    instruction: str = Field(min_length=1, description="The last user turn.")
    input: str = Field(default="", description="Text appended to the instruction after a newline.")
    output: str = Field(min_length=1, description="The assistant's answer to the last user turn.")
    system: str | None = Field(default=None, description="System prompt.")
    history: list[tuple[str, str]] | None = _HISTORY


class AlpacaPreference(BaseModel):
    """A LLaMA-Factory alpaca preference row (``ranking: true``): two answers to the last user turn."""

    model_config = ConfigDict(extra="allow")

    instruction: str = Field(min_length=1, description="The last user turn.")
    input: str = Field(default="", description="Text appended to the instruction after a newline.")
    chosen: str = Field(min_length=1, description="The better answer.")
    rejected: str = Field(min_length=1, description="The worse answer.")
    system: str | None = Field(default=None, description="System prompt.")
    history: list[tuple[str, str]] | None = _HISTORY


def _matches(row: Mapping[str, Any]) -> bool:
    return "instruction" in row and ("output" in row or "chosen" in row)


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NotAConversation(f"{key} is not text")
    return value


def _history(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    history = record.get("history") or []
    pairs = []
    for pair in history if isinstance(history, list) else [None]:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            raise NotAConversation("history is not a list of [user, assistant] text pairs")
        pairs.append((pair[0], pair[1]))
    return pairs


def _read(record: dict[str, Any]) -> Conversation:
    """One turn per text field, in order, so scrubbed texts go back to the field they came from."""
    turns: Turns = []
    if _text(record, "system"):
        turns.append({"role": "system", "content": _text(record, "system")})
    for user, assistant in _history(record):
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    turns.append({"role": "user", "content": _text(record, "instruction")})
    if _text(record, "input"):
        turns.append({"role": "user", "content": _text(record, "input")})
    if "output" in record:
        turns.append({"role": "assistant", "content": _text(record, "output")})
        return Conversation(turns)
    reply = [{"role": "assistant", "content": _text(record, key)} for key in ("chosen", "rejected")]
    return Conversation(turns, reply[:1], reply[1:])


def _restore(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    contents = iter(turn["content"] for turn in conversation.messages)
    if _text(record, "system"):
        record["system"] = next(contents)
    if record.get("history"):
        record["history"] = [[next(contents), next(contents)] for _ in record["history"]]
    record["instruction"] = next(contents)
    if _text(record, "input"):
        record["input"] = next(contents)
    if "output" in record:
        record["output"] = next(contents)
    else:
        record["chosen"] = (conversation.chosen or [{"content": ""}])[0]["content"]
        record["rejected"] = (conversation.rejected or [{"content": ""}])[0]["content"]
    return record


def _rounds(turns: list[dict[str, Any]]) -> tuple[str, list[list[str]]]:
    """The system prompt and the [user, assistant] rounds (consecutive turns of one role joined)."""
    system = "\n".join(t["content"] for t in turns if t["role"] == "system")
    rounds: list[list[str]] = []
    for turn in turns:
        if turn["role"] == "system":
            continue
        side = 1 if turn["role"] == "assistant" else 0
        if not rounds or (side == 0 and rounds[-1][1]):
            rounds.append(["", ""])
        rounds[-1][side] = "\n".join(filter(None, (rounds[-1][side], turn["content"])))
    return system, rounds


def _row(messages: list[dict[str, Any]]) -> dict[str, Any]:

    system, rounds = _rounds(messages)
    last = rounds.pop() if rounds else ["", ""]
    return {
        "instruction": last[0],
        "input": "",
        "output": last[1],
        "system": system,
        "history": rounds,
    }


def _schema(*reply: str) -> dict[str, pl.DataType]:
    """Column types of written rows, with ``reply`` (output, or chosen and rejected)."""
    import polars as pl

    text = pl.Utf8()
    return {
        "instruction": text,
        "input": text,
        **dict.fromkeys(reply, text),
        "system": text,
        "history": pl.List(pl.List(text)),
    }


def _write_samples(samples: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    rows = [_row(messages) for messages in samples["messages"].to_list()]
    return pl.DataFrame(rows, schema=_schema("output"))


def _write_pairs(samples: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    rows = []
    for prompt, chosen, rejected in samples.select("messages", "chosen", "rejected").iter_rows():
        row = _row([*prompt, {"role": "assistant", "content": ""}])
        del row["output"]
        row["chosen"] = "\n".join(t["content"] for t in chosen)
        row["rejected"] = "\n".join(t["content"] for t in rejected)
        rows.append(row)
    return pl.DataFrame(rows, schema=_schema("chosen", "rejected"))


FORMAT = RecordFormat(
    name="alpaca",
    label="LLaMA-Factory alpaca (instruction/input/output)",
    matches=_matches,
    models={"alpaca": Alpaca, "alpaca_preference": AlpacaPreference},
    keys=frozenset({"instruction", "input", "output", "system", "history"}),
    read=_read,
    restore=_restore,
    write_samples=_write_samples,
    write_pairs=_write_pairs,
    output_names=("alpaca",),
)
