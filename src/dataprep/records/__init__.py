"""Every record format dataprep reads or writes, as pydantic models.

``RECORD_MODELS`` maps a stable name to its model; ``dataprep schemas`` writes one JSON
Schema per entry into ``validators/<name>.schema.json``.
"""

from __future__ import annotations

import importlib
import re

from pydantic import BaseModel

from dataprep.records.chat import (
    OpenAIChat,
    SftMessages,
    SftPromptCompletion,
    SftPromptCompletionConversational,
    SftText,
    ShareGPT,
)
from dataprep.records.preference import (
    DpoExplicit,
    DpoExplicitConversational,
    DpoImplicit,
    DpoImplicitConversational,
    GrpoPrompt,
    GrpoPromptConversational,
    Kto,
    KtoConversational,
)

__all__ = ["RECORD_MODELS"]

RECORD_MODELS: dict[str, type[BaseModel]] = {
    "sft_messages": SftMessages,
    "sft_text": SftText,
    "sft_prompt_completion": SftPromptCompletion,
    "sft_prompt_completion_conversational": SftPromptCompletionConversational,
    "sharegpt": ShareGPT,
    "openai_chat": OpenAIChat,
    "dpo_explicit": DpoExplicit,
    "dpo_explicit_conversational": DpoExplicitConversational,
    "dpo_implicit": DpoImplicit,
    "dpo_implicit_conversational": DpoImplicitConversational,
    "grpo": GrpoPrompt,
    "grpo_conversational": GrpoPromptConversational,
    "kto": Kto,
    "kto_conversational": KtoConversational,
}


def _voice_models() -> dict[str, type[BaseModel]]:
    """The voice manifest models, when ``dataprep.records.voice`` exists (written separately).

    It may export its own ``RECORD_MODELS``; otherwise every pydantic model it defines is
    collected under ``voice_<snake_case_name>``.
    """
    try:
        voice = importlib.import_module("dataprep.records.voice")
    except ModuleNotFoundError as error:
        if error.name != "dataprep.records.voice":
            raise
        return {}
    exported = getattr(voice, "RECORD_MODELS", None)
    if isinstance(exported, dict):
        return dict(exported)
    found: dict[str, type[BaseModel]] = {}
    for name, value in vars(voice).items():
        if (
            isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == voice.__name__
        ):
            found["voice_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()] = value
    return found


RECORD_MODELS.update(_voice_models())
