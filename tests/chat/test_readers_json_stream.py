"""The chunked JSON walker under the Telegram and Discord readers: same values as
``json.loads`` wherever the chunk boundaries fall, and one-line errors with the right line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.chat.readers._json_stream import JsonCursor, TextSource, iter_lines
from dataprep.chat.readers.telegram import sanitize_escapes
from dataprep.errors import InputError

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def walk(cursor: JsonCursor) -> dict:
    """Rebuild a {"messages": [...], ...} document through the cursor."""
    result: dict = {}
    for key in cursor.members():
        if key == "messages" and cursor.peek() == "[":
            result[key] = [cursor.value() for _ in cursor.elements()]
        else:
            result[key] = cursor.value()
    cursor.end()
    return result


@SETTINGS
@given(
    head=values,
    messages=st.lists(values, max_size=8),
    tail=values,
    indent=st.sampled_from([None, 0, 1, 2]),
    chunk=st.integers(1, 40),
    encoding=st.sampled_from(["utf-8", "utf-16-le"]),
)
def test_walk_equals_json_loads(
    tmp_path: Path,
    head: object,
    messages: list,
    tail: object,
    indent: int | None,
    chunk: int,
    encoding: str,
) -> None:
    document = {"head": head, "messages": messages, "tail": tail}
    path = tmp_path / "doc.json"
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b""
    path.write_bytes(bom + json.dumps(document, ensure_ascii=False, indent=indent).encode(encoding))
    cursor = JsonCursor(TextSource(path, chunk_bytes=chunk), path)
    assert walk(cursor) == json.loads(json.dumps(document))


@SETTINGS
@given(
    texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",))), max_size=6),
    chunk=st.integers(1, 12),
)
def test_escape_repair_across_chunk_boundaries(
    tmp_path: Path, texts: list[str], chunk: int
) -> None:
    raw = json.dumps({"messages": texts}, ensure_ascii=False)
    # Write control characters the way tdesktop does ("\x0C"), which JSON does not allow.
    raw = raw.replace("\\u00", "\\x00").replace("\\x000", "\\x0").replace("\\x001", "\\x1")
    path = tmp_path / "doc.json"
    path.write_text(raw, encoding="utf-8")
    cursor = JsonCursor(TextSource(path, transform=sanitize_escapes, chunk_bytes=chunk), path)
    assert walk(cursor) == {"messages": texts}


@pytest.mark.parametrize("chunk", [1, 7, 4096], ids=["1-byte", "7-bytes", "4-KiB"])
def test_truncation_reports_the_last_line(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"messages": [\n{"id": 1},\n{"id": 2, "text": "unfinish', encoding="utf-8")
    cursor = JsonCursor(TextSource(path, chunk_bytes=chunk), path)
    with pytest.raises(InputError) as caught:
        walk(cursor)
    assert str(caught.value).startswith(f"{path}:3: truncated JSON")


@pytest.mark.parametrize("chunk", [1, 5, 4096], ids=["1-byte", "5-bytes", "4-KiB"])
def test_bad_bytes_in_a_later_chunk_name_their_line(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"messages": [\n"ok",\n"ok",\n"caf\xe9"\n]}')
    with pytest.raises(InputError) as caught:
        walk(JsonCursor(TextSource(path, chunk_bytes=chunk), path))
    assert str(caught.value).startswith(f"{path}:4: cannot decode byte 0xe9 as utf-8")


@pytest.mark.parametrize("chunk", [1, 3, 4096], ids=["1-byte", "3-bytes", "4-KiB"])
def test_numbers_split_by_a_chunk_boundary(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "n.json"
    path.write_text('{"messages": [123456789, -2.5e10, 7]}', encoding="utf-8")
    assert walk(JsonCursor(TextSource(path, chunk_bytes=chunk), path)) == {
        "messages": [123456789, -2.5e10, 7]
    }


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        TextSource(tmp_path / "nope.json")


@SETTINGS
@given(
    parts=st.lists(
        st.sampled_from(["a", "é", "\n", "\r", "\r\n", "\u2028", "\x85", ","]), max_size=40
    ),
    chunk=st.integers(1, 9),
)
def test_lines_split_like_open_with_newline_empty(
    tmp_path: Path, parts: list[str], chunk: int
) -> None:
    text = "".join(parts)
    path = tmp_path / "lines.txt"
    path.write_bytes(text.encode("utf-8"))
    expected = list(io.StringIO(text, newline=""))
    assert list(iter_lines(TextSource(path, chunk_bytes=chunk))) == expected
