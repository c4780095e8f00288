"""LLaMA-Factory as a trainer profile: check rows against a ``dataset_info.json`` entry, write its format.

Modelled on LLaMA-Factory's own loading code (hiyouga/LLaMA-Factory, ``src/llamafactory/data/
parser.py`` ``DatasetAttr.join`` and ``converter.py``, read at commit 02e2fb34; not executed:
the package pins torch/transformers versions that do not install beside ours):

- ``columns`` and ``tags`` in an entry *replace* the defaults: a column or tag the entry leaves
  out becomes None (so a ``tags`` block without ``system_tag`` keeps system turns in the
  conversation, where they fail the role check);
- ShareGPT/OpenAI turns must alternate: user or observation tags at odd positions, assistant or
  function tags at even ones ("Invalid role tag"); plain conversations have an even number of
  turns, ranking ones an odd number ("Invalid message count"); such rows are skipped;
- a KTO row needs a JSON boolean ``kto_tag`` (anything else trains as plain SFT); ranking rows need
  ``chosen``/``rejected`` strings (alpaca) or single message objects (sharegpt);
- when every row is skipped, training stops with "Cannot find valid samples".

Self-contained so it can become a record-format registry entry: ``FORMAT`` names the checker,
the converter and the config snippet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dataprep.errors import ConfigError, InputError
from dataprep.validate.rows import trl_prompt_split

__all__ = ["DatasetAttr", "LlamaFactoryRows", "load_dataset_info", "to_llamafactory"]

Emit = Callable[[str, str, str], None]

# LLaMA-Factory's own ``formatting`` values (data/parser.py), not dataprep output formats.
_FORMATTINGS = frozenset({"alpaca", "sharegpt", "openai"})
_COLUMNS = (
    "prompt",
    "query",
    "response",
    "history",
    "messages",
    "system",
    "tools",
    "images",
    "videos",
    "audios",
    "chosen",
    "rejected",
    "kto_tag",
)
_TAGS = (
    "role_tag",
    "content_tag",
    "user_tag",
    "assistant_tag",
    "observation_tag",
    "function_tag",
    "system_tag",
)


@dataclass
class DatasetAttr:
    """One ``dataset_info.json`` entry with LLaMA-Factory's defaults."""

    formatting: str = "alpaca"
    ranking: bool = False
    system: str | None = None
    tools: str | None = None
    images: str | None = None
    videos: str | None = None
    audios: str | None = None
    chosen: str | None = None
    rejected: str | None = None
    kto_tag: str | None = None
    prompt: str | None = "instruction"
    query: str | None = "input"
    response: str | None = "output"
    history: str | None = None
    messages: str | None = "conversations"
    role_tag: str | None = "from"
    content_tag: str | None = "value"
    user_tag: str | None = "human"
    assistant_tag: str | None = "gpt"
    observation_tag: str | None = "observation"
    function_tag: str | None = "function_call"
    system_tag: str | None = "system"
    name: str = "dataset"

    @classmethod
    def from_entry(cls, name: str, entry: dict[str, Any]) -> DatasetAttr:
        """``DatasetAttr.join``: a ``columns``/``tags`` block sets every key it could hold."""
        attr = cls(name=name)
        attr.formatting = entry.get("formatting", "alpaca")
        attr.ranking = bool(entry.get("ranking", False))
        if attr.formatting not in _FORMATTINGS:
            raise ConfigError(
                f"dataset_info.json entry {name!r}: unknown formatting {attr.formatting!r}",
                hint="LLaMA-Factory knows alpaca, sharegpt and openai",
            )
        for block, keys in (("columns", _COLUMNS), ("tags", _TAGS)):
            if block in entry:
                values = entry[block]
                if not isinstance(values, dict):
                    raise ConfigError(
                        f"dataset_info.json entry {name!r}: {block} must be an object"
                    )
                for key in keys:
                    setattr(attr, key, values.get(key))
        return attr

    @property
    def stage(self) -> str:
        return "kto" if self.kto_tag else "ranking" if self.ranking else "sft"

    def as_entry(self, file_name: str) -> dict[str, Any]:
        """The dataset_info.json entry that loads this shape (explicit columns and tags)."""
        default = DatasetAttr()
        entry: dict[str, Any] = {"file_name": file_name}
        if self.formatting != "alpaca":
            entry["formatting"] = self.formatting
        if self.ranking:
            entry["ranking"] = True
        columns = {key: getattr(self, key) for key in _COLUMNS if getattr(self, key)}
        entry["columns"] = columns
        if self.formatting != "alpaca":
            tags = {key: getattr(self, key) for key in _TAGS}
            if tags != {key: getattr(default, key) for key in _TAGS}:
                entry["tags"] = tags
        return entry


def load_dataset_info(path: str | Path, name: str | None, data_file: str | Path) -> DatasetAttr:
    """The entry for ``data_file``: by ``name``, else the one whose ``file_name`` matches, else the only one."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read dataset_info.json ({error.strerror})", path=path) from None
    except ValueError as error:
        raise InputError(f"dataset_info.json is not valid JSON ({error})", path=path) from None
    if not isinstance(info, dict) or not all(isinstance(v, dict) for v in info.values()):
        raise InputError("dataset_info.json must map dataset names to objects", path=path)
    if name is not None:
        if name not in info:
            raise ConfigError(
                f"no dataset {name!r} in {path}", hint=f"Known: {', '.join(sorted(info)) or 'none'}"
            )
        return DatasetAttr.from_entry(name, info[name])
    base = Path(data_file).name
    matches = [
        key for key, entry in info.items() if Path(str(entry.get("file_name", ""))).name == base
    ]
    if len(matches) == 1 or len(info) == 1:
        chosen = matches[0] if matches else next(iter(info))
        return DatasetAttr.from_entry(chosen, info[chosen])
    raise ConfigError(
        f"{path}: cannot tell which entry describes {base}",
        hint=f"Pass --dataset NAME (one of: {', '.join(sorted(info))})",
    )


class LlamaFactoryRows:
    """Row checks for one dataset_info entry; counts the rows LLaMA-Factory would skip.

    Without an entry, the defaults apply with the shape of the first row (ShareGPT when it has
    ``conversations``, else alpaca; ranking when it has ``chosen`` and ``rejected``), as
    LLaMA-Factory's data/README.md describes them.
    """

    name = "llamafactory"

    def __init__(self, attr: DatasetAttr | None = None) -> None:
        self._given = attr
        self.attr = attr or DatasetAttr()
        self.rows = 0
        self.skipped = 0
        self.seen_columns: set[str] = set()

    def check(self, row: dict[str, Any], emit: Emit) -> str | None:
        if self.rows == 0 and self._given is None:
            self.attr = _guess_attr(row)
        self.rows += 1
        self.seen_columns.update(row)
        before = _Counting(emit)
        if self.attr.formatting == "alpaca":
            self._alpaca(row, before)
        else:
            self._conversation(row, before)
        if before.skipped:
            self.skipped += 1
        # The registry format of the rows (openai-formatted rows are ShareGPT-shaped messages).
        return "alpaca" if self.attr.formatting == "alpaca" else "sharegpt"

    # -- alpaca -------------------------------------------------------------------------
    def _alpaca(self, row: dict[str, Any], emit: _Counting) -> None:
        attr = self.attr
        texts = [row.get(key) for key in (attr.prompt, attr.query) if key]
        if not any(isinstance(text, str) and text.strip() for text in texts):
            emit(
                "Y007",
                f"/{attr.prompt}",
                "instruction and input are both empty: the user turn is empty",
            )
        if attr.history and row.get(attr.history) is not None and not _is_pairs(row[attr.history]):
            emit(
                "Y007",
                f"/{attr.history}",
                "history must be a list of [prompt, response] pairs; LLaMA-Factory ignores it",
            )
        if self._kto_ok(row, emit):
            return
        if not attr.response and not attr.ranking:
            return  # pre-training data: only the prompt column (e.g. columns: {prompt: text})
        if attr.ranking:
            for key in (attr.chosen, attr.rejected):
                if key is None or not isinstance(row.get(key), str):
                    emit.skip(
                        "Y004",
                        f"/{key}",
                        f"ranking rows need {key!r} as a string (alpaca); LLaMA-Factory drops the row",
                    )
                    return
            return
        response = row.get(attr.response) if attr.response else None
        if not isinstance(response, str):
            emit.skip(
                "Y004",
                f"/{attr.response}",
                f"{attr.response!r} must be a string, not {_kind(response)}: the row has no response, "
                "so LLaMA-Factory drops it ('Dropped invalid example')",
            )

    def _kto_ok(self, row: dict[str, Any], emit: _Counting) -> bool:
        key = self.attr.kto_tag
        if not key:
            return False
        if isinstance(row.get(key), bool):
            return True
        emit.skip(
            "Y005",
            f"/{key}",
            f"{key} must be true or false, not {_kind(row.get(key))}: the row is not a KTO example, "
            "so LLaMA-Factory's KTO stage drops it",
        )
        return True

    # -- sharegpt / openai ---------------------------------------------------------------
    def _conversation(self, row: dict[str, Any], emit: _Counting) -> None:
        attr = self.attr
        key = attr.messages or "conversations"
        messages = row.get(key)
        if not isinstance(messages, list):
            emit.skip(
                "Y003",
                f"/{key}",
                f"{key} is {_kind(messages)}, not a list of messages: LLaMA-Factory fails on it",
            )
            return
        turns = self._turns(messages, key, emit)
        if turns is None:
            return
        if attr.formatting == "openai":
            turns = _openai_turns(turns, attr)
        if not self._alternates(turns, key, emit):
            return
        ranking = attr.ranking
        if (len(turns) % 2 == 0) == ranking:
            want = "an odd" if ranking else "an even"
            emit.skip(
                "Y002",
                f"/{key}",
                f"{len(turns)} turns after the system turn; LLaMA-Factory needs {want} number "
                "('Invalid message count') and skips the row",
            )
            return
        if self._kto_ok(row, emit):
            return
        if ranking:
            self._pair(row, emit)

    def _turns(
        self, messages: list[Any], key: str, emit: _Counting
    ) -> list[tuple[Any, Any]] | None:
        attr = self.attr
        turns = []
        for index, message in enumerate(messages):
            if (
                not isinstance(message, dict)
                or attr.role_tag not in message
                or attr.content_tag not in message
            ):
                emit.skip(
                    "Y003",
                    f"/{key}/{index}",
                    f"message has no {attr.role_tag!r}/{attr.content_tag!r} keys (dataset_info.json tags "
                    f"role_tag/content_tag): LLaMA-Factory raises KeyError",
                )
                return None
            turns.append((message[attr.role_tag], message[attr.content_tag]))
        if attr.system_tag and turns and turns[0][0] == attr.system_tag:
            turns = turns[1:]
        return turns

    def _alternates(self, turns: list[tuple[Any, Any]], key: str, emit: _Counting) -> bool:
        attr = self.attr
        odd = (attr.user_tag, attr.observation_tag)
        even = (attr.assistant_tag, attr.function_tag)
        for index, (role, _) in enumerate(turns):
            allowed = odd if index % 2 == 0 else even
            if role not in allowed:
                names = " or ".join(repr(tag) for tag in allowed if tag)
                emit.skip(
                    "Y001",
                    f"/{key}",
                    f"turn {index + 1} (after any system turn) has role {_role(role)}, where LLaMA-Factory "
                    f"expects {names} ('Invalid role tag'); check the tags in dataset_info.json",
                )
                return False
        return True

    def _pair(self, row: dict[str, Any], emit: _Counting) -> None:
        attr = self.attr
        for key in (attr.chosen, attr.rejected):
            value = row.get(key) if key else None
            if not isinstance(value, dict):
                emit.skip(
                    "Y004",
                    f"/{key}",
                    f"ranking rows need {key!r} as one message object; LLaMA-Factory drops the row",
                )
                return
            if value.get(attr.role_tag) not in (attr.assistant_tag, attr.function_tag):
                # converter.py sets broken_data here but has already built the pair: kept.
                emit(
                    "Y008",
                    f"/{key}",
                    f"{key} has role {_role(value.get(attr.role_tag))}, not {attr.assistant_tag!r}: "
                    "LLaMA-Factory logs 'Invalid role tag' yet trains on the pair",
                )
                return

    def finish(self, emit: Emit) -> None:
        """File-level: configured columns that no row has; every row skipped."""
        attr = self.attr
        wanted = [attr.messages] if attr.formatting != "alpaca" else [attr.prompt, attr.response]
        wanted += [attr.chosen, attr.rejected] if attr.ranking else []
        wanted += [attr.kto_tag]
        missing = sorted(key for key in wanted if key and key not in self.seen_columns)
        if self.rows and missing:
            emit(
                "Y003",
                "",
                f"dataset_info.json entry {attr.name!r} names column(s) {', '.join(missing)} that no row "
                "has: LLaMA-Factory raises KeyError",
            )
        if self.rows and self.skipped == self.rows:
            emit(
                "Y006",
                "",
                "LLaMA-Factory would skip every row and stop with 'Cannot find valid samples'",
            )


def _guess_attr(row: dict[str, Any]) -> DatasetAttr:
    """Defaults for a file without a dataset_info.json entry, shaped by its first row."""
    attr = DatasetAttr(formatting="sharegpt" if "conversations" in row else "alpaca")
    if "chosen" in row and "rejected" in row:
        attr.ranking, attr.chosen, attr.rejected = True, "chosen", "rejected"
    return attr


class _Counting:
    """An emit that remembers whether the row was skipped by LLaMA-Factory."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self.skipped = False

    def __call__(self, rule: str, pointer: str, message: str) -> None:
        self._emit(rule, pointer, message)

    def skip(self, rule: str, pointer: str, message: str) -> None:
        self.skipped = True
        self._emit(rule, pointer, message)


def _openai_turns(turns: list[tuple[Any, Any]], attr: DatasetAttr) -> list[tuple[Any, Any]]:
    """OpenAIDatasetConverter: consecutive tool results merge into one observation turn."""
    merged: list[tuple[Any, Any]] = []
    for role, content in turns:
        if role == attr.observation_tag and merged and merged[-1][0] == attr.observation_tag:
            continue
        merged.append((role, content))
    return merged


def _is_pairs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value)


def _kind(value: Any) -> str:
    if value is None:
        return "missing"
    return {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _role(value: Any) -> str:
    if isinstance(value, str) and len(value) <= 20 and value.replace("_", "").isalpha():
        return repr(value)
    return "(not shown)"


# -- conversion: TRL rows -> LLaMA-Factory rows + dataset_info entry -------------------------

_TRL_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "observation_tag": "tool",
    "function_tag": "function_call",
    "system_tag": "system",
}


def _message_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TRL messages as LLaMA-Factory turns: tool calls become function_call turns."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        role, content = turn.get("role"), turn.get("content")
        if role == "assistant" and turn.get("tool_calls"):
            calls = [call.get("function", call) for call in turn["tool_calls"]]
            out.append({"role": "function_call", "content": json.dumps(calls, ensure_ascii=False)})
            continue
        out.append({"role": role, "content": content if content is not None else ""})
    return out


def to_llamafactory(row: dict[str, Any]) -> tuple[dict[str, Any], DatasetAttr]:
    """One TRL-format row in LLaMA-Factory's shape, and the entry that loads it."""
    conversational = _attr(
        formatting="sharegpt", messages="messages", prompt=None, query=None, response=None
    )
    if "messages" in row:
        mapped: dict[str, Any] = {"messages": _message_turns(row["messages"])}
        if row.get("tools") is not None:
            mapped["tools"] = (
                row["tools"] if isinstance(row["tools"], str) else json.dumps(row["tools"])
            )
            conversational.tools = "tools"
        return mapped, conversational
    if "chosen" in row:
        prompt, chosen, rejected = _explicit(row)
        if isinstance(chosen, list):
            conversational.ranking = True
            conversational.chosen, conversational.rejected = "chosen", "rejected"
            last = _message_turns(chosen)[-1], _message_turns(rejected)[-1]
            return {
                "messages": _message_turns(prompt),
                "chosen": last[0],
                "rejected": last[1],
            }, conversational
        attr = _attr(ranking=True, chosen="chosen", rejected="rejected", query=None, response=None)
        return {"instruction": prompt, "chosen": chosen, "rejected": rejected}, attr
    if "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
        label = {"kto_tag": bool(row["label"])} if "label" in row else {}
        if isinstance(prompt, list):
            if label:
                conversational.kto_tag = "kto_tag"
            return {"messages": _message_turns(prompt + completion), **label}, conversational
        attr = _attr(query=None, kto_tag="kto_tag" if label else None)
        return {"instruction": prompt, "output": completion, **label}, attr
    if "text" in row:  # pre-training stage
        return {"text": row["text"]}, _attr(prompt="text", query=None, response=None)
    raise ConfigError(f"no LLaMA-Factory mapping for a row with fields {', '.join(sorted(row))}")


def _explicit(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    chosen, rejected = row["chosen"], row["rejected"]
    if "prompt" in row:
        return row["prompt"], chosen, rejected
    split, _ = trl_prompt_split(chosen, rejected)
    return chosen[:split], chosen[split:], rejected[split:]


def _attr(**changes: Any) -> DatasetAttr:
    attr = DatasetAttr()
    if changes.get("formatting") == "sharegpt":
        for key, value in _TRL_TAGS.items():
            setattr(attr, key, value)
    names = {f.name for f in fields(DatasetAttr)}
    for key, value in changes.items():
        assert key in names, key
        setattr(attr, key, value)
    return attr
