"""Field types across rows: which rows differ from the rest, and strings datasets would decode.

Arrow needs one type per column. ``datasets`` 4+ stores a field whose JSON type varies as a
``Json`` column, and a ``Json`` column decodes every string in it: ``"42"`` becomes the number
42, which chat templates render as nothing. Blame goes to the rows of the minority type (a
first-row outlier is reported on line 1, not on every later row), decided once the whole file
is seen; memory stays bounded because only the first ``cap`` lines per type are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import from_json

from dataprep.validate.findings import RULES, Finding

__all__ = ["TypeTracker"]

_TYPE_NAMES = {
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
}
# First characters of a string that JSON could decode into something that is not a string.
_SCALAR_STARTS = frozenset("-0123456789tfn[{")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")

Where = tuple[int | None, str, str | None]  # line, JSON Pointer, fingerprint


@dataclass
class _Seen:
    """Rows of one type at one field path: how many, and where the first ``cap`` are."""

    count: int = 0
    where: list[Where] = field(default_factory=list)


@dataclass
class _Path:
    types: dict[str, _Seen] = field(default_factory=dict)
    decoded: _Seen = field(default_factory=_Seen)


class TypeTracker:
    """Collects each field's JSON type per row; ``findings`` reports F004 and F010 at the end."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._paths: dict[str, _Path] = {}

    def observe(
        self, row: dict[str, Any], line: int | None, fingerprint: Callable[[], str | None]
    ) -> None:
        for key, value in row.items():
            if value is None:
                continue
            kind = type(value)
            self._record(key, f"/{key}", _TYPE_NAMES.get(kind, "other"), value, line, fingerprint)
            if kind is list:
                self._observe_turns(key, value, line, fingerprint)

    def _observe_turns(
        self, key: str, turns: list[Any], line: int | None, fingerprint: Callable[[], str | None]
    ) -> None:
        # Fast path, nearly every row: every content a string that cannot decode as JSON.
        for turn in turns:
            if type(turn) is not dict:
                break
            content = turn.get("content")
            if type(content) is not str or (content and content[0] in _SCALAR_STARTS):
                break
        else:
            entry = self._paths.get(f"{key}/*/content") if turns else None
            only = entry.types.get("string") if entry and len(entry.types) == 1 else None
            if only is not None:
                only.count += 1
                return
        seen: set[str] = set()
        for index, turn in enumerate(turns):
            if type(turn) is not dict:
                continue
            content_key = "content" if "content" in turn else "value"
            content = turn.get(content_key)
            kind = type(content)
            if kind is str:
                if "string" in seen and (not content or content[0] not in _SCALAR_STARTS):
                    continue  # the common case: one observation per type per row is enough
                name = "string"
            elif content is None:
                continue
            else:
                name = _TYPE_NAMES.get(kind, "other")
                if name in seen:
                    continue
            seen.add(name)
            path = f"{key}/*/{content_key}"
            self._record(path, f"/{key}/{index}/{content_key}", name, content, line, fingerprint)

    def _record(
        self,
        path: str,
        pointer: str,
        name: str,
        value: Any,
        line: int | None,
        fingerprint: Callable[[], str | None],
    ) -> None:
        entry = self._paths.get(path)
        if entry is None:
            entry = self._paths[path] = _Path()
        seen = entry.types.get(name)
        if seen is None:
            seen = entry.types[name] = _Seen()
        seen.count += 1
        if len(seen.where) < self._cap:
            seen.where.append((line, pointer, fingerprint()))
        if (
            name == "string"
            and value
            and value[0] in _SCALAR_STARTS
            and _decodes_to_non_string(value)
        ):
            entry.decoded.count += 1
            if len(entry.decoded.where) < self._cap:
                entry.decoded.where.append((line, pointer, fingerprint()))

    def findings(self, counts: Counter[str]) -> Iterator[Finding]:
        """F004 for rows of a minority type, F010 for decodable strings in mixed fields.

        Findings past the cap are counted in ``counts`` directly.
        """
        for path, entry in self._paths.items():
            if len(entry.types) < 2:
                continue
            ranked = sorted(entry.types.items(), key=lambda item: -item[1].count)
            major, major_seen = ranked[0]
            first_line = major_seen.where[0][0] if major_seen.where else None
            for name, seen in ranked[1:]:
                message = (
                    f"{path} is {name} here but {major} in {major_seen.count} rows "
                    f"(first on line {first_line})"
                )
                yield from _emit("F004", seen, message, counts)
            decoded = (
                "a string that datasets decodes as JSON into a non-string, "
                f"because {path} mixes {', '.join(sorted(entry.types))}; the template then renders nothing"
            )
            yield from _emit("F010", entry.decoded, decoded, counts)


def _emit(rule: str, seen: _Seen, message: str, counts: Counter[str]) -> Iterator[Finding]:
    for line, pointer, fingerprint in seen.where:
        yield Finding(rule, RULES[rule].severity, line, pointer, message, fingerprint)
    if seen.count > len(seen.where):
        counts[rule] += seen.count - len(seen.where)


def _decodes_to_non_string(text: str) -> bool:
    """Whether ``json.loads(text)`` would give a number, boolean, null, list or object.

    Cheap for ordinary text, which reaches here when it starts with t, f, n or a digit.
    """
    first = text[0]
    if first in "tfn":
        return text in ("true", "false", "null")
    if first in "[{":
        try:
            return type(from_json(text)) is not str
        except ValueError:
            return False
    return _NUMBER.fullmatch(text) is not None
