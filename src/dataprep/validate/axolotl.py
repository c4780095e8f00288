"""Axolotl as a trainer profile: check rows against a config's dataset entry, write its format.

Modelled on Axolotl's loading code (axolotl-ai-cloud/axolotl: ``prompt_strategies/
chat_template.py``, ``prompt_strategies/dpo/chat_template.py`` read at commit 1377ccc3,
``utils/schemas/validation.py``, ``utils/schemas/datasets.py``; not executed: axolotl pins its
own torch and transformers):

- ``type: sharegpt`` and ``sharegpt.*`` are rejected at config load; ``type: chat_template``
  reads ``field_messages`` (default ``messages``) whose turns' keys come from
  ``message_property_mappings`` (default role/content); ``roles`` maps source role names onto
  targets (default user: [human, user], assistant: [gpt, assistant], system, tool) and passes
  unknown roles through unchanged; only turns whose role is in ``roles_to_train`` (default
  [assistant]) are learned, so a row without one trains on nothing;
- DPO ``type: chat_template.default`` reads ``field_messages`` plus ``field_chosen`` and
  ``field_rejected`` (a string, a message, or a list whose last message counts); there the role
  map is strict (a role it does not know raises KeyError).

Self-contained so it can become a record-format registry entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprep.errors import ConfigError, InputError
from dataprep.formats.sharegpt import FROM_CHAT_ROLE

__all__ = ["AxolotlDataset", "AxolotlRows", "load_axolotl_config", "to_axolotl"]

Emit = Callable[[str, str, str], None]

# Axolotl's default roles map: user and assistant also under their ShareGPT names (human, gpt).
_DEFAULT_ROLES = {
    **{role: [FROM_CHAT_ROLE[role], role] for role in ("user", "assistant")},
    "system": ["system"],
    "tool": ["tool"],
}
_DPO_DEFAULT_ROLES = {
    "user": ["user"],
    "assistant": ["assistant"],
    "system": ["system"],
    "tool": ["tool"],
}


@dataclass
class AxolotlDataset:
    """One entry of ``datasets:`` with Axolotl's defaults applied."""

    type: str = "chat_template"
    field_messages: str = "messages"
    field_chosen: str = "chosen"
    field_rejected: str = "rejected"
    role_key: str = "role"
    content_key: str = "content"
    roles: dict[str, str] = field(default_factory=dict)
    roles_to_train: list[str] = field(default_factory=lambda: ["assistant"])
    path: str = ""

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> AxolotlDataset:
        kind = str(entry.get("type", ""))
        if kind == "sharegpt" or kind.startswith("sharegpt."):
            raise ConfigError(
                "`type: sharegpt.*` is deprecated in Axolotl and raises at load",
                hint="Use type: chat_template with field_messages: conversations and "
                "message_property_mappings: {role: from, content: value}",
            )
        dpo = kind.startswith("chat_template.")
        mappings = entry.get("message_property_mappings") or {}
        role_key = mappings.get("role", entry.get("message_field_role", "role"))
        content_key = mappings.get("content", entry.get("message_field_content", "content"))
        inverse = entry.get("roles") or (_DPO_DEFAULT_ROLES if dpo else _DEFAULT_ROLES)
        roles = {source: target for target, sources in inverse.items() for source in sources}
        return cls(
            type=kind,
            field_messages=entry.get("field_messages", "messages"),
            field_chosen=entry.get("field_chosen", "chosen"),
            field_rejected=entry.get("field_rejected", "rejected"),
            role_key=role_key,
            content_key=content_key,
            roles=roles,
            roles_to_train=list(entry.get("roles_to_train", ["assistant"])),
            path=str(entry.get("path", "")),
        )


def load_axolotl_config(
    path: str | Path, data_file: str | Path, index: int | None = None
) -> AxolotlDataset:
    """The ``datasets:`` entry for ``data_file`` (by ``index``, by ``path``, or the only one)."""
    import yaml

    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read the Axolotl config ({error.strerror})", path=path) from None
    except yaml.YAMLError as error:
        raise InputError(f"the Axolotl config is not valid YAML ({error})", path=path) from None
    entries = (config or {}).get("datasets") if isinstance(config, dict) else None
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) for e in entries)
    ):
        raise InputError("the Axolotl config has no datasets: list", path=path)
    if index is not None:
        if not 0 <= index < len(entries):
            raise ConfigError(f"--dataset {index}: the config has {len(entries)} datasets")
        return AxolotlDataset.from_config(entries[index])
    base = Path(data_file).name
    matches = [e for e in entries if Path(str(e.get("path", ""))).name == base]
    if len(matches) == 1 or len(entries) == 1:
        return AxolotlDataset.from_config(matches[0] if matches else entries[0])
    raise ConfigError(
        f"{path}: cannot tell which datasets entry describes {base}",
        hint="Pass --dataset N (the entry's position, from 0)",
    )


class AxolotlRows:
    """Row checks for one Axolotl dataset entry."""

    name = "axolotl"

    def __init__(self, dataset: AxolotlDataset) -> None:
        self.dataset = dataset
        self.rows = 0
        self.unchecked = not (
            dataset.type == "chat_template" or dataset.type.startswith("chat_template.")
        )

    def check(self, row: dict[str, Any], emit: Emit) -> str | None:
        self.rows += 1
        if self.unchecked:
            return None
        if self.dataset.type == "chat_template":
            self._sft(row, emit)
        else:
            self._dpo(row, emit)
        return self.dataset.type

    def _messages(self, row: dict[str, Any], emit: Emit) -> list[dict[str, Any]] | None:
        key = self.dataset.field_messages
        messages = row.get(key)
        if isinstance(messages, str):
            try:
                messages = json.loads(messages)
            except ValueError:
                messages = None
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            emit(
                "X002",
                f"/{key}",
                f"{key} is not a list of messages: Axolotl raises ('Messages is null. Please check `field_messages`.')",
            )
            return None
        for index, message in enumerate(messages):
            for prop in (self.dataset.role_key, self.dataset.content_key):
                if prop not in message:
                    emit(
                        "X003",
                        f"/{key}/{index}",
                        f"message has no {prop!r} (message_property_mappings); Axolotl reads None or raises",
                    )
                    return None
        return messages

    def _sft(self, row: dict[str, Any], emit: Emit) -> None:
        messages = self._messages(row, emit)
        if messages is None:
            return
        data = self.dataset
        trainable = []
        for index, message in enumerate(messages):
            source = message[data.role_key]
            role = data.roles.get(source, source)
            if source not in data.roles:
                emit(
                    "X004",
                    f"/{data.field_messages}/{index}/{data.role_key}",
                    f"role {_role(source)} is not in the roles mapping; Axolotl passes it through unchanged "
                    "and the chat template renders or rejects it",
                )
            trainable.append(role in data.roles_to_train)
        if not any(trainable):
            emit(
                "X005",
                f"/{data.field_messages}",
                f"no turn has a role in roles_to_train ({', '.join(data.roles_to_train)}): every label is masked",
            )
        elif not trainable[-1]:
            emit(
                "X006",
                f"/{data.field_messages}",
                "the last turn is not trainable (Axolotl warns about it)",
            )

    def _dpo(self, row: dict[str, Any], emit: Emit) -> None:
        data = self.dataset
        messages = row.get(data.field_messages)
        if isinstance(messages, list):
            messages = self._messages(row, emit)
            if messages is None:
                return
            for index, message in enumerate(messages):
                self._strict_role(
                    message.get(data.role_key), f"/{data.field_messages}/{index}", emit
                )
        elif not isinstance(messages, str):
            emit(
                "X002",
                f"/{data.field_messages}",
                f"{data.field_messages} is missing: Axolotl raises KeyError",
            )
            return
        for key in (data.field_chosen, data.field_rejected):
            value = row.get(key)
            if isinstance(value, list) and value and isinstance(value[-1], dict):
                value = value[-1]
            if isinstance(value, str):
                continue
            if not isinstance(value, dict) or data.content_key not in value:
                emit(
                    "X003",
                    f"/{key}",
                    f"{key} must be a string or a message object; Axolotl raises on it",
                )
                continue
            self._strict_role(value.get(data.role_key), f"/{key}", emit)

    def _strict_role(self, role: Any, pointer: str, emit: Emit) -> None:
        if role not in self.dataset.roles:
            emit(
                "X003",
                f"{pointer}/{self.dataset.role_key}",
                f"role {_role(role)} is not in the roles mapping; chat_template.default raises KeyError",
            )

    def finish(self, emit: Emit) -> None:
        if self.unchecked and self.rows:
            emit("X007", "", f"Axolotl type {self.dataset.type!r} is not checked by this profile")


def _role(value: Any) -> str:
    if isinstance(value, str) and len(value) <= 20 and value.replace("_", "").isalpha():
        return repr(value)
    return "(not shown)"


def to_axolotl(row: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """One TRL-format row in the shape Axolotl's chat_template types read, and that type."""
    from dataprep.validate.llamafactory import _explicit

    if "messages" in row:
        return dict(row), "chat_template"
    if "chosen" in row:
        prompt, chosen, rejected = _explicit(row)
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        pick = (
            (lambda v: v[-1])
            if isinstance(chosen, list)
            else (lambda v: {"role": "assistant", "content": v})
        )
        return {
            "messages": messages,
            "chosen": pick(chosen),
            "rejected": pick(rejected),
        }, "chat_template.default"
    if "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
        if isinstance(prompt, str):
            prompt = [{"role": "user", "content": prompt}]
            completion = [{"role": "assistant", "content": completion}]
        extra = {"label": row["label"]} if "label" in row else {}
        return {"messages": prompt + completion, **extra}, "chat_template"
    raise ConfigError(f"no Axolotl mapping for a row with fields {', '.join(sorted(row))}")


def config_snippet(out: str, kind: str) -> str:
    """The YAML to paste into an Axolotl config for a file written by ``to_axolotl``."""
    lines = []
    if kind == "chat_template.default":
        lines += ["rl: dpo"]
    lines += [
        "datasets:",
        f"  - path: {out}",
        "    ds_type: json",
        f"    type: {kind}",
        "    field_messages: messages",
        "    message_property_mappings:",
        "      role: role",
        "      content: content",
    ]
    if kind == "chat_template":
        lines += ["    roles_to_train: [assistant]"]
    else:
        lines += ["    field_chosen: chosen", "    field_rejected: rejected"]
    return "\n".join(lines) + "\n"
