"""Record formats a row can have, and which trainer profile accepts which.

A row's format is decided by its keys, the way TRL decides (``messages``, ``text``,
``prompt``/``completion``, ``chosen``/``rejected``, ``label``); ``conversations`` is ShareGPT.
"""

from __future__ import annotations

from typing import Any

from dataprep.errors import UnknownNameError

__all__ = [
    "FORMAT_LABELS",
    "PROFILES",
    "PROFILE_FOR_FORMAT",
    "candidate_formats",
    "check_profile",
    "wrong_profile_message",
]

#: format -> what the human summary calls it.
FORMAT_LABELS: dict[str, str] = {
    "messages": "conversational language modeling (messages)",
    "text": "standard language modeling (text)",
    "prompt_completion": "prompt-completion",
    "sharegpt": "ShareGPT conversations (from/value)",
    "preference_explicit": "preference with explicit prompt (prompt/chosen/rejected)",
    "preference_implicit": "preference with implicit prompt (chosen/rejected)",
    "prompt_only": "prompt-only",
    "unpaired_preference": "unpaired preference (prompt/completion/label)",
}

#: profile -> formats it accepts (TRL "Which dataset type to use?" table).
PROFILES: dict[str, frozenset[str]] = {
    "sft": frozenset({"messages", "text", "prompt_completion", "sharegpt"}),
    "dpo": frozenset({"preference_explicit", "preference_implicit"}),
    "reward": frozenset({"preference_explicit", "preference_implicit"}),
    "grpo": frozenset({"prompt_only"}),
    # TRL's KTOTrainer also takes paired preference data and unpairs it.
    "kto": frozenset({"unpaired_preference", "preference_explicit", "preference_implicit"}),
}

#: What ``--format auto`` picks from the first row's format.
PROFILE_FOR_FORMAT: dict[str, str] = {
    "messages": "sft",
    "text": "sft",
    "prompt_completion": "sft",
    "sharegpt": "sft",
    "preference_explicit": "dpo",
    "preference_implicit": "dpo",
    "prompt_only": "grpo",
    "unpaired_preference": "kto",
}

#: Keys that decide a format; anything else is an extra column.
FORMAT_KEYS = frozenset(
    {"messages", "text", "conversations", "prompt", "completion", "chosen", "rejected", "label"}
)


def check_profile(profile: str) -> str:
    """Return ``profile`` if valid (``auto`` included), else raise listing the valid ones."""
    if profile != "auto" and profile not in PROFILES:
        raise UnknownNameError("format", profile, [*PROFILES, "auto"])
    return profile


def candidate_formats(row: dict[str, Any], profile: str) -> list[str]:
    """The formats ``row``'s keys match; two or more means the row is ambiguous.

    Under the ``grpo`` profile only ``prompt`` decides: every other column goes to the reward
    functions, so a ``text`` or ``label`` column there is data, not a second format.
    """
    if profile == "grpo":
        return ["prompt_only"] if "prompt" in row else []
    found = []
    if "messages" in row:
        found.append("messages")
    if "conversations" in row:
        found.append("sharegpt")
    if "text" in row:
        found.append("text")
    if "chosen" in row or "rejected" in row:
        found.append("preference_explicit" if "prompt" in row else "preference_implicit")
    elif "completion" in row:
        found.append("unpaired_preference" if "label" in row else "prompt_completion")
    elif "prompt" in row:
        found.append("prompt_only")
    return found


#: The keys each format needs, in the order a message should name them.
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "text": ("text",),
    "prompt_completion": ("prompt", "completion"),
    "sharegpt": ("conversations",),
    "preference_explicit": ("prompt", "chosen", "rejected"),
    "preference_implicit": ("chosen", "rejected"),
    "prompt_only": ("prompt",),
    "unpaired_preference": ("prompt", "completion", "label"),
}


def wrong_profile_message(row: dict[str, Any], fmt: str, profile: str) -> str:
    """Why ``row`` (of format ``fmt``) does not fit ``profile``: the keys it lacks, when few."""

    def distance(name: str) -> tuple[int, int, str]:
        needed = set(REQUIRED_KEYS[name])
        return len(needed - set(row)), -len(needed & set(row)), name

    accepted = sorted(PROFILES[profile], key=distance)
    nearest = accepted[0]
    missing = [key for key in REQUIRED_KEYS[nearest] if key not in row]
    found = f"row is {FORMAT_LABELS[fmt]}"
    if missing and len(missing) < len(REQUIRED_KEYS[nearest]):
        keys = " and ".join(repr(key) for key in missing)
        return f"{found}: missing {keys} for {FORMAT_LABELS[nearest]} ({profile} profile)"
    names = ", ".join(sorted(FORMAT_LABELS[name] for name in PROFILES[profile]))
    return f"{found}; profile {profile} accepts {names}"
