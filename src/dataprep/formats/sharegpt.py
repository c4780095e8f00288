"""ShareGPT: ``{"conversations": [{"from": "human", "value": ...}]}`` (LLaMA-Factory, FastChat).

The role map between ShareGPT's ``from`` names and ChatML roles is defined here, once; the
chat writer, clean, validate, convert and bootstrap all read it from this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import Conversation, NotAConversation, RecordFormat, Turns, put_contents

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FORMAT", "FROM_CHAT_ROLE", "SHAREGPT_ROLES", "ShareGPT", "ShareGPTTurn"]

#: LLaMA-Factory/FastChat ShareGPT role names -> their ChatML role. The first name given for
#: a ChatML role is the one written (``user`` -> ``human``, ``assistant`` -> ``gpt``).
SHAREGPT_ROLES: dict[str, str] = {
    "system": "system",
    "human": "user",
    "gpt": "assistant",
    "observation": "tool",
    "function_call": "assistant",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}
#: ChatML role -> the ShareGPT name written for it.
FROM_CHAT_ROLE: dict[str, str] = {}
for _name, _role in SHAREGPT_ROLES.items():
    FROM_CHAT_ROLE.setdefault(_role, _name)

if TYPE_CHECKING:
    ShareGPTRole = str
else:
    ShareGPTRole = Literal[tuple(SHAREGPT_ROLES)]


class ShareGPTTurn(BaseModel):
    """One ShareGPT turn: ``from`` is a LlamaFactory/FastChat role name, ``value`` the text."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: ShareGPTRole = Field(alias="from")
    value: str


class ShareGPT(BaseModel):
    """ShareGPT conversations: ``{"conversations": [{"from": "human", "value": ...}, ...]}``.

    LlamaFactory reads it with ``formatting: sharegpt``; TRL renames ``from``/``value`` to
    ``role``/``content`` but keeps ``human``/``gpt``, which most chat templates reject, so
    ``dataprep convert --to sft`` maps the roles too. ``system`` and ``tools`` are optional
    LlamaFactory columns.
    """

    model_config = ConfigDict(extra="allow")

    conversations: list[ShareGPTTurn] = Field(min_length=1)
    system: str | None = None
    tools: str | None = None


def _matches(row: Mapping[str, Any]) -> bool:
    return "conversations" in row


def sharegpt_turns(messages: Any, where: str) -> Turns:
    """ChatML turns of a ShareGPT turn list (or of one turn, as in preference replies)."""
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not messages:
        raise NotAConversation(f"{where} is not a non-empty list of turns")
    turns = []
    for message in messages:
        if (
            not isinstance(message, dict)
            or "from" not in message
            or not isinstance(message.get("value"), str | None)
        ):
            raise NotAConversation(f"{where} holds a turn without from/value text")
        name = str(message["from"])
        turns.append(
            {"role": SHAREGPT_ROLES.get(name, name), "content": message.get("value") or ""}
        )
    return turns


def _read(record: dict[str, Any]) -> Conversation:
    chosen, rejected = record.get("chosen"), record.get("rejected")
    return Conversation(
        sharegpt_turns(record["conversations"], "conversations"),
        sharegpt_turns(chosen, "chosen") if chosen is not None else None,
        sharegpt_turns(rejected, "rejected") if rejected is not None else None,
    )


def _restore(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    put_contents(record, "conversations", conversation.messages, "value")
    for key, turns in (("chosen", conversation.chosen), ("rejected", conversation.rejected)):
        if turns is not None and key in record:
            put_contents(record, key, turns, "value")
    return record


def turns_expr(column: str) -> pl.Expr:
    """A ``List(Struct(role, content))`` column as ShareGPT ``from``/``value`` turns."""
    import polars as pl

    return pl.col(column).list.eval(
        pl.struct(
            pl.element()
            .struct.field("role")
            .replace_strict(FROM_CHAT_ROLE, default=FROM_CHAT_ROLE["user"])
            .alias("from"),
            pl.element().struct.field("content").alias("value"),
        )
    )


def _write_samples(samples: pl.DataFrame) -> pl.DataFrame:
    return samples.select(turns_expr("messages").alias("conversations"))


def _write_pairs(samples: pl.DataFrame) -> pl.DataFrame:
    """LLaMA-Factory's ShareGPT preference shape: the prompt, then one reply turn each."""
    return samples.select(
        turns_expr("messages").alias("conversations"),
        turns_expr("chosen").list.first().alias("chosen"),
        turns_expr("rejected").list.first().alias("rejected"),
    )


FORMAT = RecordFormat(
    name="sharegpt",
    label="ShareGPT conversations (from/value)",
    matches=_matches,
    models={"sharegpt": ShareGPT},
    profiles=("sft",),
    keys=frozenset({"conversations"}),
    read=_read,
    restore=_restore,
    write_samples=_write_samples,
    write_pairs=_write_pairs,
    output_names=("sharegpt",),
)
