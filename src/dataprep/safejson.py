"""``json.loads`` for hostile input: a depth limit, and lone surrogates repaired.

Deeply nested JSON raises ``RecursionError`` inside the decoder (a traceback), or, a little
less deep, parses and then breaks code that walks it. A ``\\ud800`` escape with no partner
decodes to a lone surrogate that no UTF-8 writer (polars, ``json.dumps`` to a file)
accepts. ``loads`` turns the first into a ``json.JSONDecodeError`` (the caller's usual
invalid-JSON path, a counted reject) and the second into U+FFFD.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "depth_of", "loads", "repair_surrogates"]

#: Deepest nesting accepted; real chat records nest fewer than ten levels.
MAX_DEPTH = 100

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def depth_of(value: Any) -> int:
    """Nesting depth of a parsed value, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def repair_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [repair_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {repair_surrogates(k): repair_surrogates(v) for k, v in value.items()}
    return value


def checked(value: Any, text: str) -> Any:
    """Apply the depth limit and the surrogate repair to ``value`` parsed from ``text``."""
    if text.count("[") + text.count("{") > MAX_DEPTH and depth_of(value) > MAX_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, 0)
    # The cheap tests first: an escape needs "\\u", a raw surrogate a non-ASCII character.
    # Most lines have neither, and the regular expressions would scan them whole.
    if ("\\u" in text and _SURROGATE_ESCAPE.search(text)) or (
        not text.isascii() and _LONE_SURROGATE.search(text)
    ):
        value = repair_surrogates(value)
    return value


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads`` with the depth limit and the surrogate repair."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, 0) from None
    return checked(value, text)
