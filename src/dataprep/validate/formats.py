"""Record formats a row can have, and which trainer profile accepts which.

A row's format is decided by its keys, the way TRL decides (``messages``, ``text``,
``prompt``/``completion``, ``chosen``/``rejected``, ``label``); ``conversations`` is ShareGPT.
The formats, their keys, labels and profiles come from the registry in ``dataprep.formats``;
only formats that some trainer profile accepts take part in detection here.
"""

from __future__ import annotations

from typing import Any

from dataprep.errors import UnknownNameError
from dataprep.formats import formats

__all__ = [
    "FORMAT_LABELS",
    "PROFILES",
    "PROFILE_FOR_FORMAT",
    "candidate_formats",
    "check_profile",
    "wrong_profile_message",
]

_TRAINER_FORMATS = [fmt for fmt in formats().values() if fmt.profiles]

#: format -> what the human summary calls it.
FORMAT_LABELS: dict[str, str] = {fmt.name: fmt.label for fmt in formats().values()}

#: Trainer profiles, in the order they are offered (TRL "Which dataset type to use?" table).
PROFILE_NAMES = ("sft", "dpo", "reward", "grpo", "kto")

#: profile -> formats it accepts. TRL's KTOTrainer also takes paired preference data and unpairs it.
PROFILES: dict[str, frozenset[str]] = {
    profile: frozenset(fmt.name for fmt in _TRAINER_FORMATS if profile in fmt.profiles)
    for profile in PROFILE_NAMES
}

#: What ``--format auto`` picks from the first row's format.
PROFILE_FOR_FORMAT: dict[str, str] = {fmt.name: fmt.profiles[0] for fmt in _TRAINER_FORMATS}

#: Keys that decide a format; anything else is an extra column.
FORMAT_KEYS = frozenset().union(*(fmt.keys for fmt in _TRAINER_FORMATS))


def check_profile(profile: str) -> str:
    """Return ``profile`` if valid (``auto`` included), else raise listing the valid ones."""
    if profile != "auto" and profile not in PROFILES:
        raise UnknownNameError("format", profile, [*PROFILES, "auto"])
    return profile


def candidate_formats(row: dict[str, Any], profile: str) -> tuple[str, ...]:
    """The formats ``row``'s keys match; two or more means the row is ambiguous.

    Under the ``grpo`` profile only ``prompt`` decides: every other column goes to the reward
    functions, so a ``text`` or ``label`` column there is data, not a second format.
    Formats are decided by keys alone and the rows of a file share their keys, so the answer
    is cached per key tuple (this runs for every row of files of any size).
    """
    if profile == "grpo":
        return ("prompt_only",) if "prompt" in row else ()
    keys = tuple(row)
    found = _BY_KEYS.get(keys)
    if found is None:
        if len(_BY_KEYS) >= 4096:
            _BY_KEYS.clear()
        present = dict.fromkeys(keys)
        found = _BY_KEYS[keys] = tuple(f.name for f in _TRAINER_FORMATS if f.matches(present))
    return found


_BY_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


# Order in which a message names a format's keys.
_KEY_ORDER = (
    "messages",
    "conversations",
    "text",
    "prompt",
    "chosen",
    "rejected",
    "completion",
    "label",
)

#: The keys each trainer format needs (from the registry), in the order a message names them.
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    fmt.name: tuple(key for key in _KEY_ORDER if key in fmt.keys) for fmt in _TRAINER_FORMATS
}


def wrong_profile_message(row: dict[str, Any], fmt: str, profile: str) -> str:
    """Why ``row`` (of format ``fmt``) does not fit ``profile``: the keys it lacks, when few."""

    def distance(name: str) -> tuple[int, int, str]:
        needed = set(REQUIRED_KEYS[name])
        return len(needed - set(row)), -len(needed & set(row)), name

    nearest = sorted(PROFILES[profile], key=distance)[0]
    missing = [key for key in REQUIRED_KEYS[nearest] if key not in row]
    found = f"row is {FORMAT_LABELS[fmt]}"
    if missing and len(missing) < len(REQUIRED_KEYS[nearest]):
        keys = " and ".join(repr(key) for key in missing)
        return f"{found}: missing {keys} for {FORMAT_LABELS[nearest]} ({profile} profile)"
    names = ", ".join(sorted(FORMAT_LABELS[name] for name in PROFILES[profile]))
    return f"{found}; profile {profile} accepts {names}"
