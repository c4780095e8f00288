"""Hypothesis strategies for hostile inputs: mutated real exports, arbitrary JSON values in
place of any field, and the hostile snippets that broke readers before (issue 10).

Examples per test: ``DATAPREP_FUZZ_EXAMPLES`` (default 200, the CI setting; nightly runs use
e.g. 5000). Each example runs under a 30 s alarm: a hang fails the test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXAMPLES = int(os.environ.get("DATAPREP_FUZZ_EXAMPLES", "200"))
#: Longest a single example may run before it counts as a hang.
HANG_SECONDS = 30

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

#: Inputs that crashed, hung or blew up a reader before: deep nesting, backslash runs, lone
#: surrogate escapes, CR-only line ends, NULs, BOMs, separators JSON allows raw, a huge line.
HOSTILE_SNIPPETS = [
    "\\" * 4000,
    "[" * 3000,
    "{" * 2000,
    '"\\ud800"',
    "\\ud800",
    "\\udfff\\ud800",
    "\r",
    "\r\r\n\r",
    "\x00",
    "\ufeff",
    "\u2028\u2029\x85",
    '"',
    "\\x0C",
    "\\x",
    ",,,,\n",
    "a" * 200_000,
    "01/02/2024, 10:00 - ",
    "[01.02.24, 10:00:00] ",
]

_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "message", "service", "bot_message", "user", "assistant", "0", "1"])
)
json_values = st.recursive(
    _scalar,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

text_pieces = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE_SNIPPETS),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
)


def fixture(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@st.composite
def mutated_json(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with a few nodes replaced by arbitrary JSON values (type confusion)."""
    paths = list(_paths(document))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths))
        document = _replace(document, path, draw(json_values))
        paths = list(_paths(document))
    return document


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few byte edits: flips, cuts, insertions of hostile snippets."""
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        at = draw(st.integers(min_value=0, max_value=max(len(data), 0)))
        edit = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if edit == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif edit == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif edit == "insert":
            piece = draw(text_pieces).encode("utf-8", "surrogatepass")
            data = data[:at] + piece + data[at:]
        else:
            data = data[:at]
    return data


def json_file(document: Any) -> st.SearchStrategy[bytes]:
    """A JSON document with mutated values, serialized, sometimes with byte edits after."""
    as_bytes = mutated_json(document).map(
        lambda doc: json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )
    return st.one_of(as_bytes, as_bytes.flatmap(mutated_bytes))


def jsonl_file(lines: list[Any]) -> st.SearchStrategy[bytes]:
    """JSONL: each line possibly mutated, and byte edits over the whole file."""

    def dump(docs: list[Any]) -> bytes:
        text = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n"
        return text.encode("utf-8", "surrogatepass")

    docs = st.tuples(*[st.one_of(st.just(line), mutated_json(line)) for line in lines])
    as_bytes = docs.map(lambda items: dump(list(items)))
    return st.one_of(as_bytes, as_bytes.flatmap(mutated_bytes))


def text_file(data: bytes) -> st.SearchStrategy[bytes]:
    """A line-based export (WhatsApp, CSV) with lines shuffled, replaced and edited."""
    lines = data.split(b"\n")

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        chosen = draw(st.lists(st.sampled_from(lines), min_size=0, max_size=len(lines) + 5))
        if draw(st.booleans()):
            chosen = lines[:1] + chosen  # keep a header line (CSV) or first message
        separator = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
        return draw(mutated_bytes(separator.join(chosen)))

    return build()


@contextlib.contextmanager
def hang_alarm(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail an example that runs longer than ``seconds`` (a hang) instead of waiting."""

    def expire(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"an example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
