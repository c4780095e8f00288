"""Side files and error lines carry no personal data: file names become labels, no
message text reaches stderr."""

from __future__ import annotations

import shutil

import pytest

from tests.robustness.helpers import (
    WHATSAPP,
    assert_one_line_error,
    run_cli,
    snapshot,
    write_conversations,
)


@pytest.mark.model
def test_a_contact_name_in_the_export_file_name_stays_out_of_side_files(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(WHATSAPP, exports / "WhatsApp Chat with Maya Lopez.txt")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("chat", exports, "--me", "Colin", "--out", out / "train.jsonl", timeout=300)
    assert result.returncode == 0, result.stderr
    sidecar = (out / "train.sources.jsonl").read_text()
    assert "file-" in sidecar
    for name, data in snapshot(out).items():
        assert b"Maya" not in data and b"Lopez" not in data, name
    assert "Maya" not in result.stderr


@pytest.mark.model
def test_a_reader_warning_names_the_export_by_its_label_when_pii_is_on(tmp_path):
    """The ambiguous day/month warning names its file; with PII on it uses the same hashed
    label as the side files, on the terminal and in the report."""
    exports = tmp_path / "exports"
    exports.mkdir()
    lines = [
        "3/4/24, 10:00 - Sam: are you coming to the climbing gym tonight?",
        "3/4/24, 10:02 - Colin: yes, I will be there at seven",
        "5/6/24, 18:00 - Sam: did you book the table for Friday?",
        "5/6/24, 18:05 - Colin: not yet, I will do it tomorrow morning",
    ]
    (exports / "WhatsApp Chat with Maya Lopez.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = run_cli("chat", exports, "--me", "Colin", "--out", out / "train.jsonl", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "--date-order" in result.stderr and "file-" in result.stderr
    assert "Maya" not in result.stderr
    for name, data in snapshot(out).items():
        assert b"Maya" not in data and b"Lopez" not in data, name
    report = (out / "train.report.json").read_text()
    assert "--date-order" in report


def test_without_pii_scrubbing_traces_keep_the_file_names(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(WHATSAPP, exports / "chat.txt")
    result = run_cli(
        "chat", exports, "--me", "Colin", "--no-pii", "--out", tmp_path / "train.jsonl"
    )
    assert result.returncode == 0, result.stderr
    assert "exports/chat.txt:" in (tmp_path / "train.sources.jsonl").read_text()


def test_a_csv_without_a_header_line_keeps_its_text_out_of_the_error(tmp_path):
    data = tmp_path / "messages.csv"
    data.write_text(
        "Maya,I moved to 12 Rue Lepic last week,2024-01-01\nColin,nice,2024-01-01\n",
        encoding="utf-8",
    )
    result = run_cli("chat", data, "--me", "Colin", "--no-pii", "--out", tmp_path / "o.jsonl")
    line = assert_one_line_error(result)
    assert "Rue Lepic" not in result.stderr and "Maya" not in result.stderr, line


def test_clean_rejects_name_the_file_not_the_path_as_typed(tmp_path):
    home = tmp_path / "home" / "maya.lopez" / "data"
    home.mkdir(parents=True)
    data = write_conversations(home / "chats.jsonl", 5)
    with data.open("a") as handle:
        handle.write("not json\n")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("clean", data.absolute(), "--no-pii", "--out", out / "t.jsonl",
                     "--rejects", out / "rejects.jsonl", "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    rejects = (out / "rejects.jsonl").read_text()
    assert "chats.jsonl:6" in rejects and "maya.lopez" not in rejects


def test_clean_skips_a_row_over_the_size_limit(tmp_path):
    data = write_conversations(tmp_path / "chats.jsonl", 5)
    with data.open("a") as handle:
        handle.write('{"messages": [{"role": "user", "content": "' + "a" * 5000 + '"}]}\n')
    result = run_cli("clean", data, "--no-pii", "--out", tmp_path / "t.jsonl", "-q",
                     DATAPREP_MAX_ROW_BYTES="1000")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "t.report.json").read_text()
    assert "row_too_large" in report
