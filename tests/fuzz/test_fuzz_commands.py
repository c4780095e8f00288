"""Every command on mutated inputs, through the real entry point (``dataprep.cli.main``).

A command may succeed (0), report failed checks (1) or refuse in one line (2); any other
exit, an exception escaping ``main`` (a traceback), a hang (30 s alarm), output that is not
UTF-8 JSON Lines, or a staging folder left behind fails the test.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprep.outputs import staging_leftovers
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.conftest import run_main
from tests.fuzz.strategies import (
    FUZZ,
    fixture,
    hang_alarm,
    json_values,
    jsonl_file,
    mutated_bytes,
    mutated_json,
    text_pieces,
)
from tests.fuzz.test_fuzz_readers import _WAV, READER_INPUTS, _jsonl

pytestmark = pytest.mark.fuzz

_ALPACA = [
    {"instruction": "Name a colour", "input": "", "output": "Blue"},
    {"instruction": "Add", "input": "2 and 3", "output": "5"},
]
_DPO = [{"prompt": "Hi?", "chosen": "Hello! How can I help?", "rejected": "What."}]


def _run(*args: str | Path) -> tuple[int, str]:
    with hang_alarm():
        code, _, err = run_main(*args)
    assert code in (0, 1, 2), (code, err)
    return code, err


def _check_outputs(out: Path) -> None:
    assert staging_leftovers(out) == []
    for path in out.glob("*.jsonl"):
        # Split on "\n" only: JSON allows U+2028 and U+0085 raw inside strings.
        for line in path.read_bytes().decode("utf-8").split("\n"):
            if line:
                json.loads(line)


def _workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "out").mkdir()
        yield Path(folder)


@FUZZ
@given(data=st.data())
def test_chat_command(data):
    name, content = data.draw(st.one_of(*READER_INPUTS.values()))
    for folder in _workspace():
        path = folder / name
        path.write_bytes(content)
        out = folder / "out"
        _run("chat", path, "--me", "Colin", "--no-pii", "--out", out / "t.jsonl",
             "--rejects", out / "rejects.jsonl", "-q")  # fmt: skip
        _check_outputs(out)


CLEAN_INPUTS = st.one_of(
    jsonl_file(_jsonl("chat/generic/openai.jsonl")),
    jsonl_file(_jsonl("chat/generic/sharegpt.jsonl")),
    jsonl_file(_DPO * 3),
)


@FUZZ
@given(content=CLEAN_INPUTS)
def test_clean_command(content):
    for folder in _workspace():
        path = folder / "data.jsonl"
        path.write_bytes(content)
        out = folder / "out"
        _run("clean", path, "--no-pii", "--out", out / "t.jsonl",
             "--rejects", out / "rejects.jsonl", "-q")  # fmt: skip
        _check_outputs(out)


@FUZZ
@given(content=st.one_of(CLEAN_INPUTS, jsonl_file(_ALPACA)), output_format=st.sampled_from(
    ["human", "json", "github", "sarif"]))  # fmt: skip
def test_validate_command(content, output_format):
    for folder in _workspace():
        path = folder / "data.jsonl"
        path.write_bytes(content)
        _run("validate", path, "--output-format", output_format, "--output",
             folder / "out/report.txt")  # fmt: skip
        _check_outputs(folder / "out")


@FUZZ
@given(content=st.one_of(jsonl_file(_ALPACA), CLEAN_INPUTS))
def test_convert_command(content):
    for folder in _workspace():
        path = folder / "data.jsonl"
        path.write_bytes(content)
        out = folder / "out"
        _run("convert", path, "--out", out / "t.jsonl", "--rejects", out / "r.jsonl", "-q")
        _check_outputs(out)


_SFT_REPLY = {
    "messages": [
        {"role": "user", "content": "How do I keep basil alive?"},
        {"role": "assistant", "content": "Water it when the top soil is dry."},
    ]
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@FUZZ
@given(
    seeds=jsonl_file(_jsonl("chat/generic/openai.jsonl")),
    replies=st.lists(
        st.one_of(
            st.builds(json.dumps, mutated_json(_SFT_REPLY)),
            text_pieces,
            st.builds(json.dumps, json_values),
        ),
        min_size=1,
        max_size=4,
    ),
    model=st.one_of(st.none(), st.text(max_size=20)),
)
def test_bootstrap_command(server, seeds, replies, model):
    server.reset()
    for reply in replies:
        server.inject("reply", content=reply, model=model)
    for folder in _workspace():
        path = folder / "seeds.jsonl"
        path.write_bytes(seeds)
        out = folder / "out"
        os.environ["DATAPREP_FUZZ_KEY"] = "sk-fuzz"
        _run("bootstrap", path, "--n", "2", "--model", "m", "--base-url", server.base_url,
             "--api-key-env", "DATAPREP_FUZZ_KEY", "--no-cache", "--max-retries", "1",
             "--retry-delay", "0", "--concurrency", "1", "--timeout", "5", "--max-requests",
             "4", "--out", out / "s.jsonl", "--rejects", out / "r.jsonl", "-q")  # fmt: skip
        _check_outputs(out)


# After the first example (which imports torch, onnxruntime and faster-whisper), a voice
# example took about 0.3 s here, so the command gets the full count like the others.
@pytest.mark.model
@FUZZ
@given(content=mutated_bytes(_WAV), suffix=st.sampled_from([".wav", ".flac", ".mp3"]))
def test_voice_command(content, suffix):
    pytest.importorskip("faster_whisper")
    for folder in _workspace():
        path = folder / f"clip{suffix}"
        path.write_bytes(content)
        _run("voice", path, "--out", folder / "out/v", "-q")
        _check_outputs(folder / "out")
        if (folder / "out/v").exists():
            _check_outputs(folder / "out/v")


assert fixture("chat/generic/openai.jsonl")
