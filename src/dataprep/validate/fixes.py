"""Column mappings onto trainer formats: the code we print is the code ``dataprep convert`` runs.

Each mapping is a small Python function rendered from a template with the dataset's column
names. ``Mapping.snippet()`` wraps it in a runnable ``datasets`` program for the user;
``Mapping.function()`` executes the very same source, so the two can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dataprep.formats.sharegpt import SHAREGPT_ROLES

__all__ = ["Mapping", "suggest_mapping"]

PROMPT_COLUMNS = ("prompt", "instruction", "question", "query", "problem", "input")
ANSWER_COLUMNS = ("response", "answer", "output", "completion", "solution")
CHOSEN_COLUMNS = ("chosen", "chosen_response", "response_chosen", "preferred", "winner")
REJECTED_COLUMNS = ("rejected", "rejected_response", "response_rejected", "dispreferred", "loser")

_PAIR = '''def to_messages(example):
    """Map {prompt}/{answer} onto TRL conversational messages (user, then assistant)."""
    return {{
        "messages": [
            {{"role": "user", "content": example[{prompt}]}},
            {{"role": "assistant", "content": example[{answer}]}},
        ]
    }}
'''

_ALPACA = '''def to_messages(example):
    """Map Alpaca columns (instruction, input, output, system) onto TRL conversational messages."""
    user = example["instruction"]
    if example.get("input"):
        user = user + "\\n\\n" + example["input"]
    messages = []
    if example.get("system"):
        messages.append({"role": "system", "content": example["system"]})
    messages.append({"role": "user", "content": user})
    messages.append({"role": "assistant", "content": example["output"]})
    return {"messages": messages}
'''

_SHAREGPT = (
    "ROLES = "
    + json.dumps(SHAREGPT_ROLES, indent=4)
    + '''


def to_messages(example):
    """Map ShareGPT conversations (from/value, human/gpt) onto role/content messages."""
    messages = []
    if example.get("system"):
        messages.append({"role": "system", "content": example["system"]})
    for turn in example["conversations"]:
        messages.append({"role": ROLES.get(turn["from"], turn["from"]), "content": turn["value"]})
    return {"messages": messages}
'''
)

_PREFERENCE = '''def to_preference(example):
    """Map {prompt}/{chosen}/{rejected} onto TRL's explicit-prompt preference format."""
    return {{
        "prompt": example[{prompt}],
        "chosen": example[{chosen}],
        "rejected": example[{rejected}],
    }}
'''

_IMPLICIT = '''def to_preference(example):
    """Map {chosen}/{rejected} onto TRL's implicit-prompt preference format."""
    return {{"chosen": example[{chosen}], "rejected": example[{rejected}]}}
'''

_OPENAI_DPO = '''def to_preference(example):
    """Map OpenAI DPO rows (input.messages, preferred_output, non_preferred_output) onto TRL's format."""
    return {
        "prompt": example["input"]["messages"],
        "chosen": example["preferred_output"],
        "rejected": example["non_preferred_output"],
    }
'''

_PROMPT = '''def to_prompt(example):
    """Map {prompt} onto GRPO's prompt column; other columns stay for the reward functions."""
    return {{"prompt": example[{prompt}]}}
'''


@dataclass(frozen=True)
class Mapping:
    """A column mapping: its name, the profile it targets, its source and the columns it uses."""

    name: str
    target: str
    code: str
    function_name: str
    sources: tuple[str, ...]
    outputs: tuple[str, ...]
    #: Sources a row may lack (Alpaca's ``input``, ShareGPT's ``system``).
    optional: tuple[str, ...] = ()

    @property
    def required(self) -> set[str]:
        return {column for column in self.sources if column not in self.optional}

    def function(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """Execute ``code`` and return the mapping function it defines."""
        namespace: dict[str, Any] = {}
        exec(compile(self.code, f"<mapping {self.name}>", "exec"), namespace)
        function: Callable[[dict[str, Any]], dict[str, Any]] = namespace[self.function_name]
        return function

    @property
    def removed(self) -> list[str]:
        """Source columns the mapped file no longer has."""
        return [column for column in self.sources if column not in self.outputs]

    def snippet(self, path: str = "data.jsonl") -> str:
        """A complete program mapping ``path`` with ``datasets``, ready to paste."""
        return (
            "from datasets import load_dataset\n\n\n"
            f"{self.code}\n\n"
            f'dataset = load_dataset("json", data_files={_q(path)}, split="train")\n'
            f"mapped = {json.dumps(self.removed)}\n"
            f"dataset = dataset.map(\n"
            f"    {self.function_name},\n"
            f"    remove_columns=[name for name in mapped if name in dataset.column_names],\n"
            f")\n"
        )

    def apply(
        self, row: dict[str, Any], function: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Map one row like ``dataset.map(..., remove_columns=removed)`` does."""
        mapped = function(row)
        out = {key: value for key, value in row.items() if key not in self.sources}
        out.update(mapped)
        return out


def _q(text: str) -> str:
    """A double-quoted Python string literal (JSON string syntax is valid Python)."""
    return json.dumps(text)


def _first(
    keys: Iterable[str], options: tuple[str, ...], exclude: tuple[str, ...] = ()
) -> str | None:
    present = set(keys)
    for option in options:
        if option in present and option not in exclude:
            return option
    return None


def suggest_mapping(row: dict[str, Any], profile: str = "auto") -> Mapping | None:
    """The mapping that turns rows shaped like ``row`` into ``profile``'s format, if one fits."""
    keys = list(row)
    if profile in ("auto", "dpo", "reward", "kto"):
        found = _preference_mapping(row)
        if found is not None:
            return found
    if profile in ("auto", "sft"):
        found = _sft_mapping(row)
        if found is not None:
            return found
    if profile == "grpo":
        prompt = _first(keys, PROMPT_COLUMNS[1:])
        if prompt is not None and "prompt" not in row:
            return Mapping(
                "prompt_column",
                "grpo",
                _PROMPT.format(prompt=_q(prompt)),
                "to_prompt",
                (prompt,),
                ("prompt",),
            )
    return None


def _sft_mapping(row: dict[str, Any]) -> Mapping | None:
    keys = list(row)
    if type(row.get("conversations")) is list:
        return Mapping(
            "sharegpt",
            "sft",
            _SHAREGPT,
            "to_messages",
            ("conversations", "system"),
            ("messages",),
            ("system",),
        )
    if "instruction" in row and "output" in row:
        alpaca = ("instruction", "input", "output", "system")
        return Mapping(
            "alpaca", "sft", _ALPACA, "to_messages", alpaca, ("messages",), ("input", "system")
        )
    prompt = _first(keys, PROMPT_COLUMNS)
    answer = _first(keys, ANSWER_COLUMNS, exclude=(prompt or "",))
    if prompt is None or answer is None or (prompt, answer) == ("prompt", "completion"):
        return None
    code = _PAIR.format(prompt=_q(prompt), answer=_q(answer))
    return Mapping(
        f"{prompt}_{answer}", "sft", code, "to_messages", (prompt, answer), ("messages",)
    )


def _preference_mapping(row: dict[str, Any]) -> Mapping | None:
    keys = list(row)
    if (
        type(row.get("input")) is dict
        and "preferred_output" in row
        and "non_preferred_output" in row
    ):
        sources = ("input", "preferred_output", "non_preferred_output")
        return Mapping(
            "openai_dpo",
            "dpo",
            _OPENAI_DPO,
            "to_preference",
            sources,
            ("prompt", "chosen", "rejected"),
        )
    chosen = _first(keys, CHOSEN_COLUMNS)
    rejected = _first(keys, REJECTED_COLUMNS)
    if chosen is None or rejected is None:
        return None
    prompt = _first(keys, PROMPT_COLUMNS)
    if (chosen, rejected) == ("chosen", "rejected") and prompt in (None, "prompt"):
        return None  # already TRL's shape
    if prompt is None:
        code = _IMPLICIT.format(chosen=_q(chosen), rejected=_q(rejected))
        return Mapping(
            f"{chosen}_{rejected}",
            "dpo",
            code,
            "to_preference",
            (chosen, rejected),
            ("chosen", "rejected"),
        )
    code = _PREFERENCE.format(prompt=_q(prompt), chosen=_q(chosen), rejected=_q(rejected))
    sources = (prompt, chosen, rejected)
    return Mapping(
        f"{prompt}_{chosen}_{rejected}",
        "dpo",
        code,
        "to_preference",
        sources,
        ("prompt", "chosen", "rejected"),
    )
