"""No command writes onto one of its inputs or onto another of its outputs.

Each case used to destroy the input and exit 0; now the run stops with one line before it
reads anything, and the input is byte-for-byte unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.robustness.helpers import WHATSAPP, assert_one_line_error, run_cli, write_conversations


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    chat = tmp_path / "chat.txt"
    shutil.copy(WHATSAPP, chat)
    data = write_conversations(tmp_path / "data.jsonl", 20)
    seeds = write_conversations(tmp_path / "seeds.jsonl", 5)
    (tmp_path / "val.jsonl").write_bytes(data.read_bytes())
    (tmp_path / "eval.jsonl").write_bytes(data.read_bytes())
    return {"chat": chat, "data": data, "seeds": seeds, "val": tmp_path / "val.jsonl",
            "eval": tmp_path / "eval.jsonl", "dir": tmp_path}  # fmt: skip


CASES = {
    "chat --out IN": ["chat", "{chat}", "--me", "Colin", "--out", "{chat}"],
    "chat --rejects IN": ["chat", "{chat}", "--me", "Colin", "--out", "{dir}/o.jsonl", "--rejects", "{chat}"],
    "chat --report IN": ["chat", "{chat}", "--me", "Colin", "--out", "{dir}/o.jsonl", "--report", "{chat}"],
    "chat --out via a symlink to IN": ["chat", "{chat}", "--me", "Colin", "--out", "{dir}/link.txt"],
    "clean --out IN": ["clean", "{data}", "--no-pii", "--out", "{data}"],
    "clean --report IN": ["clean", "{data}", "--no-pii", "--out", "{dir}/o.jsonl", "--report", "{data}"],
    "clean val split onto IN": ["clean", "{val}", "--no-pii", "--out", "{dir}/train.jsonl"],
    "clean --out is the --eval file": ["clean", "{data}", "--no-pii", "--eval", "{eval}", "--out", "{eval}"],
    "clean --report is --rejects": ["clean", "{data}", "--no-pii", "--out", "{dir}/o.jsonl", "--report", "{dir}/r.json", "--rejects", "{dir}/r.json"],
    "clean --rejects is the HTML report page": ["clean", "{data}", "--no-pii", "--out", "{dir}/o.jsonl", "--rejects", "{dir}/o.report.html"],
    "bootstrap --rejects is the HTML report page": ["bootstrap", "{seeds}", "--n", "2", "--model", "m", "--out", "{dir}/s.jsonl", "--rejects", "{dir}/s.report.html"],
    "clean --report is the val split": ["clean", "{data}", "--no-pii", "--out", "{dir}/o.jsonl", "--report", "{dir}/o.val.jsonl"],
    "convert --out IN": ["convert", "{data}", "--out", "{data}"],
    "convert --rejects IN": ["convert", "{data}", "--out", "{dir}/o.jsonl", "--rejects", "{data}"],
    "validate --output IN": ["validate", "{data}", "--output", "{data}"],
    "validate --output is --against": ["validate", "{data}", "--against", "{eval}", "--output", "{eval}"],
    "bootstrap --out IN": ["bootstrap", "{seeds}", "--n", "2", "--model", "m", "--out", "{seeds}"],
    "bootstrap --rejects IN": ["bootstrap", "{seeds}", "--n", "2", "--model", "m", "--out", "{dir}/s.jsonl", "--rejects", "{seeds}"],
    "bootstrap --report IN": ["bootstrap", "{seeds}", "--n", "2", "--model", "m", "--out", "{dir}/s.jsonl", "--report", "{seeds}"],
    "bootstrap provenance is IN": ["bootstrap", "{dir}/s.provenance.jsonl", "--n", "2", "--model", "m", "--out", "{dir}/s.jsonl"],
    "voice --out is the input folder": ["voice", "{dir}/audio", "--out", "{dir}/audio"],
    "voice --out holds the input": ["voice", "{dir}/audio/a.wav", "--out", "{dir}"],
    "voice --report IN": ["voice", "{dir}/audio/a.wav", "--out", "{dir}/v", "--report", "{dir}/audio/a.wav"],
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_an_output_onto_an_input_or_another_output_is_refused(files, case):
    folder = files["dir"]
    (folder / "link.txt").symlink_to(files["chat"])
    (folder / "audio").mkdir()
    (folder / "audio/a.wav").write_bytes(b"RIFF not really a wav")
    (folder / "s.provenance.jsonl").write_bytes(files["seeds"].read_bytes())
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
    args = [part.format(**files) for part in CASES[case]]
    result = run_cli(*args, OPENAI_API_KEY="sk-test")
    line = assert_one_line_error(result)
    assert "is also" in line or "inside" in line or "holds" in line, line
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before  # nothing read, nothing written


def test_distinct_paths_still_run(files):
    result = run_cli("clean", files["data"], "--no-pii", "--out", files["dir"] / "out.jsonl", "-q")
    assert result.returncode == 0, result.stderr
