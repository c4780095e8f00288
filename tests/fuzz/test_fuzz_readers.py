"""Every chat reader (and the voice audio reader) on mutated real exports.

A reader may reject lines (counted) or raise ``InputError`` (one line); anything else is a
bug: an exception of another type, a hang (30 s alarm), or batches polars cannot write as
UTF-8 JSON (lone surrogates once slipped through).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprep.chat.readers import ReaderOptions, detect_format, get_reader, read_unit
from dataprep.errors import InputError
from tests.fuzz.strategies import (
    FIXTURES,
    FUZZ,
    HOSTILE_SNIPPETS,
    fixture,
    hang_alarm,
    json_file,
    jsonl_file,
    mutated_bytes,
    text_file,
)

pytestmark = pytest.mark.fuzz


def _json(relative: str):
    return json.loads(fixture(relative))


def _jsonl(relative: str) -> list:
    return [json.loads(line) for line in fixture(relative).decode().splitlines() if line.strip()]


DISCORD = "chat/discord/Makers Collective - Projects - general [810000000000000001].json"

#: reader -> (file name, strategy of file contents)
READER_INPUTS = {
    "whatsapp": st.one_of(
        st.tuples(st.just("chat.txt"), text_file(fixture("chat/whatsapp/android_dmy_24h_colin.txt"))),
        st.tuples(st.just("chat.txt"), text_file(fixture("chat/whatsapp/ios_bracketed_ddmmyy.txt"))),
        st.tuples(st.just("chat.zip"), mutated_bytes(fixture("chat/whatsapp/android_export_with_media.zip"))),
    ),
    "telegram": st.one_of(
        st.tuples(st.just("result.json"), json_file(_json("chat/telegram/single_chat_result.json"))),
        st.tuples(st.just("result.json"), json_file(_json("chat/telegram/full_account_result.json"))),
    ),
    "discord": st.tuples(st.just("export.json"), json_file(_json(DISCORD))),
    "slack": st.tuples(
        st.just("2024-03-04.json"), json_file(_json("chat/slack/acme_workspace/general/2024-03-04.json"))
    ),
    "wechat": st.one_of(
        st.tuples(st.just("chat.csv"), text_file(fixture("chat/wechat/pywxdump_xiaolin.csv"))),
        st.tuples(st.just("chat.csv"), text_file(fixture("chat/wechat/memotrace_chenmei.csv"))),
    ),
    "csv": st.tuples(st.just("messages.csv"), text_file(fixture("chat/generic/messages.csv"))),
    "jsonl": st.tuples(st.just("messages.jsonl"), jsonl_file(_jsonl("chat/generic/messages.jsonl"))),
    "sharegpt": st.tuples(st.just("data.jsonl"), jsonl_file(_jsonl("chat/generic/sharegpt.jsonl"))),
    "openai": st.tuples(st.just("data.jsonl"), jsonl_file(_jsonl("chat/generic/openai.jsonl"))),
}  # fmt: skip


def read_all(reader_name: str | None, name: str, data: bytes) -> None:
    """Read ``data`` saved as ``name`` with one reader (or detection); check the batches."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        rejected: list[tuple[str, int | None, str, str | None]] = []
        with hang_alarm():
            try:
                reader = get_reader(reader_name) if reader_name else detect_format(path)
                for batch in read_unit(
                    reader, path, ReaderOptions(), lambda *r: rejected.append(r)
                ):
                    batch.write_ndjson(io.BytesIO())  # must be writable as UTF-8
            except InputError as error:
                str(error).encode("utf-8", "backslashreplace")  # printable
        for source, line, reason, raw in rejected:
            assert isinstance(reason, str) and reason
            json.dumps({"source": source, "line": line, "raw": raw})


@pytest.mark.parametrize("reader_name", list(READER_INPUTS))
@FUZZ
@given(data=st.data())
def test_reader_survives_mutated_exports(reader_name, data):
    name, content = data.draw(READER_INPUTS[reader_name])
    read_all(reader_name, name, content)


@FUZZ
@given(data=st.data())
def test_format_detection_survives_mutated_exports(data):
    name, content = data.draw(st.one_of(*READER_INPUTS.values()))
    read_all(None, name, content)


@pytest.mark.parametrize("snippet", HOSTILE_SNIPPETS, ids=range(len(HOSTILE_SNIPPETS)))
@pytest.mark.parametrize("reader_name", list(READER_INPUTS))
def test_reader_survives_each_hostile_snippet_inside_a_real_export(reader_name, snippet):
    """The seeds, deterministic: each snippet in the middle of each reader's fixture."""
    name, content = {
        "whatsapp": ("chat.txt", fixture("chat/whatsapp/android_dmy_24h_colin.txt")),
        "telegram": ("result.json", fixture("chat/telegram/single_chat_result.json")),
        "discord": ("export.json", fixture(DISCORD)),
        "slack": ("2024-03-04.json", fixture("chat/slack/acme_workspace/general/2024-03-04.json")),
        "wechat": ("chat.csv", fixture("chat/wechat/pywxdump_xiaolin.csv")),
        "csv": ("messages.csv", fixture("chat/generic/messages.csv")),
        "jsonl": ("messages.jsonl", fixture("chat/generic/messages.jsonl")),
        "sharegpt": ("data.jsonl", fixture("chat/generic/sharegpt.jsonl")),
        "openai": ("data.jsonl", fixture("chat/generic/openai.jsonl")),
    }[reader_name]  # fmt: skip
    middle = content.find(b'"', len(content) // 2) + 1 or len(content) // 2
    read_all(
        reader_name,
        name,
        content[:middle] + snippet.encode("utf-8", "surrogatepass") + content[middle:],
    )


# -- voice: the audio reader -------------------------------------------------------------


def _wav_bytes() -> bytes:
    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    tone = (0.1 * np.sin(np.linspace(0, 440 * 2 * np.pi, 16000))).astype("float32")
    soundfile.write(buffer, tone, 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".wav", ".flac", ".mp3", ".ogg"]))
def test_audio_reader_survives_mutated_files(data, suffix):
    pytest.importorskip("soundfile")
    from dataprep.voice.audio import decode_resampled, probe

    content = data.draw(mutated_bytes(_WAV))
    with tempfile.TemporaryDirectory() as folder, hang_alarm():
        path = Path(folder) / f"clip{suffix}"
        path.write_bytes(content)
        with contextlib.suppress(InputError):
            decode_resampled(path, 16000, probe(path))


try:
    _WAV = _wav_bytes()
except ImportError:  # the voice extra is not installed
    _WAV = b"RIFF"

assert FIXTURES.is_dir()
