"""Prompts: the default system prompt and user template per task, and rendering.

A user template (``--template FILE``) is plain text with ``$examples`` (the examples shown
to the model, one JSON object per line), ``$schema`` (the JSON Schema of the reply) and
``$task`` (one sentence saying what to write). ``$$`` is a literal dollar sign. The hash of
the system prompt and template goes into the provenance of every row.
"""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import Path
from typing import Any

from dataprep.errors import ConfigError
from dataprep.io import read_text

__all__ = [
    "DEFAULT_TEMPLATE",
    "GENERIC_REPLY_SYSTEM",
    "REPAIR_PROMPT",
    "default_system",
    "load_template",
    "render",
    "template_hash",
]

PLACEHOLDERS = ("examples", "schema", "task")

DEFAULT_TEMPLATE = """\
Here are examples of the data we are building, one JSON object per line:

$examples

$task The new example must be in the same voice, style, tone and length as the examples, \
about a different situation or topic, and not a paraphrase of any of them.

Reply with only one JSON object, no prose and no code fences, matching this JSON Schema:
$schema
"""

TASK_SENTENCES = {
    "sft": "Write one new conversation between a user and the assistant, ending with the assistant's reply.",
    "dpo": (
        "Write one new preference pair: a user prompt, a `chosen` reply written exactly like the "
        "assistant in the examples, and a `rejected` reply that is plausible but worse (generic, "
        "off-voice or less helpful)."
    ),
    "kto": (
        "Write one new row: a user prompt and a completion, with `label` true when the completion "
        "is a good reply in the voice of the examples and false when it is a worse one; make about "
        "half of your rows each way."
    ),
}

_DEFAULT_SYSTEM = (
    "You write new, varied examples of fine-tuning data in the voice of the examples you are "
    "shown, and you answer with JSON only."
)

#: System prompt for ``dpo-from-sft``: the model's reply becomes the ``rejected`` side.
GENERIC_REPLY_SYSTEM = (
    "You are a generic, neutral assistant. Reply to the last message briefly and plainly, "
    "without any particular personality."
)

REPAIR_PROMPT = (
    "Your reply could not be used: {problem}. Reply again with only the corrected JSON object "
    "matching the schema, no prose and no code fences."
)


def default_system(task: str) -> str:
    return GENERIC_REPLY_SYSTEM if task == "dpo-from-sft" else _DEFAULT_SYSTEM


def load_template(path: Path) -> str:
    """Read a user template and check it names only known placeholders."""
    text = read_text(path)
    check_template(text, str(path))
    return text


def check_template(text: str, where: str = "template") -> None:
    try:
        names = {
            m.group("named") or m.group("braced")
            for m in string.Template.pattern.finditer(text)
            if m.group("invalid") is None and (m.group("named") or m.group("braced"))
        }
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown placeholder ${unknown[0]}",
            hint="Valid placeholders: "
            + ", ".join("$" + p for p in PLACEHOLDERS)
            + " ($$ for a dollar sign)",
        )
    if "examples" not in names:
        raise ConfigError(f"{where}: the template must contain $examples")


def render(template: str, *, task: str, examples: list[str], schema: dict[str, Any]) -> str:
    """The user message of one request."""
    return string.Template(template).safe_substitute(
        examples="\n".join(examples),
        schema=json.dumps(schema, ensure_ascii=False, sort_keys=True),
        task=TASK_SENTENCES.get(task, ""),
    )


def template_hash(system: str, template: str) -> str:
    return hashlib.sha256(f"{system}\n\x00\n{template}".encode()).hexdigest()
