"""Record formats of supervised fine-tuning (SFT) datasets, as pydantic models.

These mirror what TRL's ``SFTTrainer``, OpenAI chat fine-tuning and LlamaFactory's ShareGPT
loader accept. Their JSON Schemas are generated into ``validators/`` (``dataprep schemas``);
the row-by-row linter in ``dataprep.validate`` checks the same rules faster and with line
numbers, so these models are the documentation and the schema, not the hot path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatMessage",
    "OpenAIChat",
    "OpenAIMessage",
    "SftMessages",
    "SftPromptCompletion",
    "SftPromptCompletionConversational",
    "SftText",
    "ShareGPT",
    "ShareGPTTurn",
]

#: Roles of chat data (``developer``: gpt-oss/Harmony; ``function``: OpenAI's legacy tool role).
ChatRole = Literal["system", "developer", "user", "assistant", "tool", "function"]

#: Content is a string, or a list of typed parts (``{"type": "text"|"image", ...}``) for vision models.
Content = str | list[dict[str, Any]]


class ChatMessage(BaseModel):
    """One turn of a conversation in the ``role``/``content`` (ChatML) shape.

    An assistant turn may carry ``tool_calls`` instead of ``content``; extra keys such as
    ``thinking`` or ``name`` are passed to the chat template unchanged.
    """

    model_config = ConfigDict(extra="allow")

    role: ChatRole
    content: Content | None = None
    tool_calls: list[dict[str, Any]] | None = None


class SftMessages(BaseModel):
    """Conversational language modeling: ``{"messages": [{"role", "content"}, ...]}``.

    TRL trains on the whole conversation (or only assistant turns with ``assistant_only_loss``).
    ``tools`` holds JSON-schema function specs, as a list or as a JSON string.
    """

    model_config = ConfigDict(extra="allow")

    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[dict[str, Any]] | str | None = None
    chat_template_kwargs: dict[str, Any] | None = None


class SftText(BaseModel):
    """Standard language modeling: ``{"text": "..."}``, already formatted by the user."""

    model_config = ConfigDict(extra="allow")

    text: str = Field(min_length=1)


class SftPromptCompletion(BaseModel):
    """Standard prompt-completion: the loss covers only ``completion`` by default in TRL."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)
    completion: str = Field(min_length=1)


class SftPromptCompletionConversational(BaseModel):
    """Conversational prompt-completion: ``prompt`` turns, then the assistant ``completion`` turns."""

    model_config = ConfigDict(extra="allow")

    prompt: list[ChatMessage] = Field(min_length=1)
    completion: list[ChatMessage] = Field(min_length=1)


class ShareGPTTurn(BaseModel):
    """One ShareGPT turn: ``from`` is a LlamaFactory/FastChat role name, ``value`` the text."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Literal[
        "system", "human", "gpt", "observation", "function_call", "user", "assistant", "tool"
    ] = Field(alias="from")
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


class OpenAIMessage(BaseModel):
    """A message of OpenAI chat fine-tuning; ``weight`` 0 excludes an assistant turn from the loss."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    function_call: dict[str, Any] | None = None
    weight: Literal[0, 1] | None = None


class OpenAIChat(BaseModel):
    """OpenAI chat fine-tuning file row: ``messages`` plus optional ``tools``; no other keys."""

    model_config = ConfigDict(extra="forbid")

    messages: list[OpenAIMessage] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[dict[str, Any]] | None = None
