"""Row-level checks: one function per record format, each reporting through ``emit``.

``emit(rule, pointer, message)`` records a finding for the current row; the engine adds the
line number and severity. These run on every row of files of any size, so the happy path
does as little as possible: type checks with ``type(x) is``, no copies, no regexes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from dataprep.formats.base import CHAT_ROLES
from dataprep.formats.sharegpt import SHAREGPT_ROLES

__all__ = [
    "CHAT_ROLES",
    "SHAREGPT_ROLES",
    "Emit",
    "check_messages_row",
    "check_preference_row",
    "check_prompt_completion_row",
    "check_prompt_only_row",
    "check_sharegpt_row",
    "check_text_row",
    "check_turns",
    "kto_label",
    "trl_prompt_split",
]

Emit = Callable[[str, str, str], None]

_IDENTITY_ROLES = {role: role for role in CHAT_ROLES}
# Markers of a prompt that was already rendered with a chat template (trl PR #5067).
_TEMPLATE_MARKERS = ("<|im_start|>", "[INST]", "<start_of_turn>", "<|start_header_id|>", "<|user|>")


def _content_problem(turn: dict[str, Any], content: Any, role: str | None) -> str | None:
    """Why a message's content is unusable, or None when it is fine."""
    kind = type(content)
    if kind is str:
        if content and not content.isspace():
            return None
        # An assistant turn that only calls tools: "" is as common as null and renders the same.
        return None if role == "assistant" and turn.get("tool_calls") else "content is empty"
    if kind is list:
        return "content is an empty list" if not content else None
    if content is None:
        if role == "assistant" and turn.get("tool_calls"):
            return None
        return (
            "content is missing"
            if "content" not in turn and "value" not in turn
            else "content is null"
        )
    return f"content must be text, not {_json_type(content)}"


def check_turns(
    turns: Any,
    base: str,
    emit: Emit,
    shape: str,
    *,
    role_key: str = "role",
    content_key: str = "content",
    roles: dict[str, str] = _IDENTITY_ROLES,
) -> bool:
    """Check one message list; ``shape`` is ``conversation``, ``prompt`` or ``response``.

    Returns False when the list itself is unusable (not a list, or empty). The loop runs for
    every message of every row, so the common case (known role, non-empty text) takes the
    fewest steps and pointers are only built when something is reported.
    """
    if type(turns) is not list:
        emit("M001", base, f"{base[1:]} must be a list of messages, not {_json_type(turns)}")
        return False
    if not turns:
        emit("M001", base, f"{base[1:]} is an empty list")
        return False
    previous = None
    seen_assistant = False
    for index, turn in enumerate(turns):
        if type(turn) is not dict:
            emit("M002", f"{base}/{index}", f"message must be an object, not {_json_type(turn)}")
            previous = None
            continue
        raw_role = turn.get(role_key)
        role = roles.get(raw_role) if type(raw_role) is str else None
        content = turn.get(content_key)
        if (
            role is None
            or type(content) is not str
            or not content
            or content.isspace()
            or turn.get("weight", 1) != 1
        ):
            _check_turn_fields(
                turn, f"{base}/{index}", raw_role, role, content, role_key, content_key, roles, emit
            )
        if role == previous or shape == "response" or role not in ("user", "assistant"):
            _check_order(role, previous, index, f"{base}/{index}/{role_key}", shape, emit)
        if role == "assistant":
            seen_assistant = True
        previous = role
    _check_ending(base, len(turns) - 1, previous, seen_assistant, shape, role_key, emit)
    return True


def _check_order(
    role: str | None, previous: str | None, index: int, pointer: str, shape: str, emit: Emit
) -> None:
    """Turn-order rules: alternation, where system turns go, what a response may hold."""
    if role in ("user", "assistant") and role == previous:
        emit("M007", pointer, f"two {role} turns in a row (turns {index - 1} and {index})")
    elif role == "system" and index:
        emit("M008", pointer, "system turn is not the first turn")
    elif shape == "response" and role not in ("assistant", None):
        emit("P006", pointer, f"{role} turn in a response; expected only assistant turns")


def _check_turn_fields(
    turn: dict[str, Any],
    pointer: str,
    raw_role: Any,
    role: str | None,
    content: Any,
    role_key: str,
    content_key: str,
    roles: dict[str, str],
    emit: Emit,
) -> None:
    """The slow path of one message: which of role, content and weight is wrong."""
    if role is None:
        if raw_role is None:
            emit("M002", f"{pointer}/{role_key}", f"message has no {role_key!r}")
        else:
            valid = ", ".join(sorted(roles))
            emit(
                "M003",
                f"{pointer}/{role_key}",
                f"unknown role {_role_text(raw_role)} (valid: {valid})",
            )
    problem = _content_problem(turn, content, role)
    if problem is not None:
        emit("M005" if "missing" not in problem else "M002", f"{pointer}/{content_key}", problem)
    if "weight" not in turn:
        return
    weight = turn["weight"]
    if type(weight) is not int or weight not in (0, 1):
        emit("M010", f"{pointer}/weight", f"weight must be 0 or 1, not {_short(weight)}")
    elif weight == 0:
        emit(
            "M011",
            f"{pointer}/weight",
            "weight 0: TRL has no message weights and trains on this turn anyway; "
            "drop the turn, or move what comes before it into a prompt",
        )


def _role_text(value: Any) -> str:
    """Show a role only when it looks like a role id (``hummany``), never like a name (``Colin``)."""
    if (
        type(value) is str
        and len(value) <= 20
        and value.replace("_", "").isalpha()
        and value.islower()
        and value.isascii()
    ):
        return repr(value)
    return "(not shown: it may be a name)" if type(value) is str else f"of type {_json_type(value)}"


def _short(value: Any, limit: int = 40) -> str:
    """A value for a message, cut short (never echo long row text into reports)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_ending(
    base: str,
    last: int,
    last_role: str | None,
    seen_assistant: bool,
    shape: str,
    role_key: str,
    emit: Emit,
) -> None:
    if shape == "conversation":
        if not seen_assistant:
            emit("M006", base, "conversation has no assistant turn")
        elif last_role not in ("assistant", None):
            emit("M009", f"{base}/{last}/{role_key}", f"last turn is {last_role}, not assistant")
    elif shape == "prompt" and last_role == "system":
        emit(
            "S002",
            f"{base}/{last}/{role_key}",
            "prompt ends with a system turn; the answer follows a system message",
        )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _check_text(value: Any, pointer: str, emit: Emit) -> bool:
    """A non-empty string field; returns False when the field is unusable."""
    if type(value) is not str:
        emit("F008", pointer, f"{pointer[1:]} must be a string, not {_json_type(value)}")
        return False
    if not value or value.isspace():
        emit("M005", pointer, f"{pointer[1:]} is empty")
        return False
    return True


def check_messages_row(row: dict[str, Any], emit: Emit) -> str | None:
    """``{"messages": [...]}``: a full conversation that must teach an assistant turn."""
    if "tools" in row:
        _check_tools(row["tools"], emit)
    check_turns(row["messages"], "/messages", emit, "conversation")
    return "conversational"


def _check_tools(tools: Any, emit: Emit) -> None:
    """``tools``: a list of function specs, or that list as a JSON string (TRL json.loads it)."""
    if type(tools) is str:
        try:
            tools = json.loads(tools)
        except ValueError:
            emit(
                "F008",
                "/tools",
                "tools is a string but not valid JSON (TRL calls json.loads on it)",
            )
            return
    if tools is not None and (
        type(tools) is not list or not all(type(tool) is dict for tool in tools)
    ):
        emit("F008", "/tools", f"tools must be a list of function specs, not {_json_type(tools)}")


def check_sharegpt_row(row: dict[str, Any], emit: Emit) -> str | None:
    """``{"conversations": [{"from", "value"}]}`` with LlamaFactory role names."""
    system = row.get("system")
    if system is not None and type(system) is not str:
        emit("F008", "/system", f"system must be a string, not {_json_type(system)}")
    check_turns(
        row["conversations"],
        "/conversations",
        emit,
        "conversation",
        role_key="from",
        content_key="value",
        roles=SHAREGPT_ROLES,
    )
    return "conversational"


def check_text_row(row: dict[str, Any], emit: Emit) -> str | None:
    _check_text(row["text"], "/text", emit)
    return "standard"


def _kinds(row: dict[str, Any], keys: tuple[str, ...], emit: Emit) -> str | None:
    """``standard`` or ``conversational`` for the row's fields, None when mixed or unusable."""
    kinds = {}
    for key in keys:
        value = row.get(key)
        if type(value) is str:
            kinds[key] = "standard"
            if value[:2] in _JSON_LIST_STARTS and _is_message_list_json(value):
                emit(
                    "P007",
                    f"/{key}",
                    f"{key} is a JSON string holding a message list; TRL trains on the JSON text. "
                    "Store the list itself, not json.dumps of it",
                )
        elif type(value) is list:
            kinds[key] = "conversational"
        elif value is None and key not in row:
            emit(
                "P005" if key in ("chosen", "rejected") else "F001", f"/{key}", f"{key} is missing"
            )
            return None
        else:
            emit(
                "F008",
                f"/{key}",
                f"{key} must be a string or a list of messages, not {_json_type(value)}",
            )
            return None
    found = set(kinds.values())
    if len(found) > 1:
        detail = ", ".join(f"{key} is {kind}" for key, kind in kinds.items())
        emit("F005", "", f"mixed standard and conversational fields ({detail})")
        return None
    return found.pop() if found else None


_JSON_LIST_STARTS = frozenset({"[{", "[ ", "[\n"})


def _is_message_list_json(value: str) -> bool:
    """Whether a string field is ``json.dumps`` of a message list (a common export mistake)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    return (
        type(parsed) is list
        and bool(parsed)
        and all(type(turn) is dict and ("role" in turn or "from" in turn) for turn in parsed)
    )


def kto_label(value: Any) -> bool | None:
    """The label a KTO row means, or None when TRL would misread it (strings, 2, floats)."""
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    return None


def check_prompt_completion_row(row: dict[str, Any], emit: Emit) -> str | None:
    """``prompt`` + ``completion`` (SFT) or + ``label`` (KTO): both strings or both message lists."""
    kind = _kinds(row, ("prompt", "completion"), emit)
    if kind == "standard":
        _check_text(row["prompt"], "/prompt", emit)
        _check_text(row["completion"], "/completion", emit)
    elif kind == "conversational":
        check_turns(row["prompt"], "/prompt", emit, "prompt")
        check_turns(row["completion"], "/completion", emit, "response")
    if "label" in row and kto_label(row["label"]) is None:
        emit("K001", "/label", f"label must be true or false (or 1/0), not {_short(row['label'])}")
    return kind


def check_prompt_only_row(row: dict[str, Any], emit: Emit) -> str | None:
    """GRPO prompt-only: a prompt to sample completions for (extra columns go to rewards)."""
    prompt = row["prompt"]
    if type(prompt) is list:
        check_turns(prompt, "/prompt", emit, "prompt")
        return "conversational"
    if _check_text(prompt, "/prompt", emit):
        for marker in _TEMPLATE_MARKERS:
            if marker in prompt:
                emit("G003", "/prompt", f"prompt contains the chat-template token {marker!r}")
                break
        return "standard"
    return None


def trl_prompt_split(chosen: Any, rejected: Any) -> tuple[int, bool]:
    """Where TRL's ``extract_prompt`` splits a pair, and whether the two responses diverge at all.

    Mirrors trl/data_utils.py: the longest common prefix, backing up one character when it ends
    after a space. ``False`` means one response is a prefix of the other, so the split eats it.
    """
    shorter = min(len(chosen), len(rejected))
    for index in range(shorter):
        if chosen[index] != rejected[index]:
            if chosen[index - 1] == " ":
                index -= 1
            return index, True
    return shorter - 1, False


def check_preference_row(row: dict[str, Any], emit: Emit, *, extracts_prompt: bool) -> str | None:
    """``chosen``/``rejected`` with or without ``prompt``; ``extracts_prompt`` for DPO/KTO."""
    explicit = "prompt" in row
    kind = _kinds(
        row, ("prompt", "chosen", "rejected") if explicit else ("chosen", "rejected"), emit
    )
    if kind is None:
        return None
    chosen, rejected = row["chosen"], row["rejected"]
    usable = _check_responses(row, kind, explicit, emit)
    if "margin" in row and (type(row["margin"]) not in (int, float)):
        emit("R001", "/margin", f"margin must be a number, not {_short(row['margin'])}")
    if not usable:
        return kind
    if chosen == rejected:
        emit("P001", "/chosen", "chosen is identical to rejected")
    elif explicit:
        _check_prompt_repeated(row["prompt"], chosen, rejected, kind, emit)
    elif extracts_prompt:
        _check_implicit_split(chosen, rejected, kind, emit)
    return kind


def _check_responses(row: dict[str, Any], kind: str, explicit: bool, emit: Emit) -> bool:
    usable = True
    if kind == "standard":
        if explicit:
            _check_text(row["prompt"], "/prompt", emit)
        for key in ("chosen", "rejected"):
            if not row[key] or row[key].isspace():
                emit("P005", f"/{key}", f"{key} is empty")
                usable = False
        return usable
    if explicit:
        check_turns(row["prompt"], "/prompt", emit, "prompt")
    shape = "response" if explicit else "conversation"
    for key in ("chosen", "rejected"):
        if not row[key]:
            emit("P005", f"/{key}", f"{key} is an empty list")
            usable = False
        else:
            check_turns(row[key], f"/{key}", emit, shape)
    return usable


def _check_prompt_repeated(prompt: Any, chosen: Any, rejected: Any, kind: str, emit: Emit) -> None:
    for key, response in (("chosen", chosen), ("rejected", rejected)):
        if kind == "standard":
            stripped = prompt.strip()
            repeated = len(stripped) >= 10 and response.lstrip().startswith(stripped)
        else:
            repeated = response[: len(prompt)] == prompt or any(
                type(turn) is dict and turn.get("role") != "assistant" and turn in prompt
                for turn in response
            )
        if repeated:
            emit(
                "P004",
                f"/{key}",
                f"{key} repeats the prompt; with an explicit prompt it should hold only the answer",
            )
            return


def _check_implicit_split(chosen: Any, rejected: Any, kind: str, emit: Emit) -> None:
    index, diverged = trl_prompt_split(chosen, rejected)
    if not diverged:
        emit(
            "P003",
            "/chosen",
            "one response is a prefix of the other, so TRL's prompt extraction swallows it",
        )
    elif index <= 0:
        emit(
            "P002",
            "/chosen",
            "chosen and rejected share no common prefix, so TRL extracts an empty prompt",
        )
    elif kind == "conversational":
        last = chosen[index - 1]
        if type(last) is dict and last.get("role") == "system":
            emit(
                "S002",
                f"/chosen/{index - 1}/role",
                "the extracted prompt ends with a system turn; the answer follows a system message",
            )
