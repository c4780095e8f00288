"""Conformance on real Telegram and Slack exports that this project did not write.

The files live in ``../shared/real-exports/`` (see its SOURCES.md); they are not copied into
the repository. Every expected value below was written down by reading the files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions, detect_format
from dataprep.chat.schema import MESSAGE_SCHEMA

REAL = Path(__file__).parents[2].parent / "shared" / "real-exports"
TELEGRAM = REAL / "telegram_result_single_chat.json"
SLACK = REAL / "slack_export_sample"

pytestmark = pytest.mark.skipif(
    not (TELEGRAM.is_file() and SLACK.is_dir()),
    reason=f"real exports not found in {REAL} (they sit beside the checkout, see SOURCES.md there)",
)


def read(path: Path) -> tuple[str, pl.DataFrame, list[tuple]]:
    reader = detect_format(path)
    rejects: list[tuple] = []
    frame = pl.concat(list(reader.read(path, ReaderOptions(), lambda *a: rejects.append(a))))
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return reader.name, frame, rejects


def test_telegram_single_chat_export() -> None:
    name, frame, rejects = read(TELEGRAM)
    assert name == "telegram"
    assert rejects == []
    assert frame.height == 2
    assert frame["speaker"].to_list() == ["Author 1", "Author 2"]
    # Message 2's text is an entity list: a bold "Link:" then a link.
    assert frame["text"].to_list() == ["Minimal Message", "Link:https://telegram.org/"]
    # Only date_unixtime is present: 1544006350 and 1544006964, read as UTC.
    assert frame["time"].to_list() == [
        datetime(2018, 12, 5, 10, 39, 10),
        datetime(2018, 12, 5, 10, 49, 24),
    ]
    # No multi-line bodies and no service (system) lines in this export.
    assert frame["kind"].to_list() == ["text", "text"]
    assert not any("\n" in text for text in frame["text"].to_list())
    # No chat id or name at the top level: the conversation is the file itself.
    assert frame["conversation"].unique().to_list() == [str(TELEGRAM)]
    assert frame["source_line"].to_list() == [1, 2]
    assert frame["speaker_id"].null_count() == 2 and frame["message_id"].null_count() == 2


def test_slack_export_sample() -> None:
    name, frame, rejects = read(SLACK)
    assert name == "slack"
    assert rejects == []
    # channels.json lists two channels; only "enrique" has a folder, with one day file of 6.
    assert frame.height == 6
    assert frame["conversation"].unique().to_list() == [f"{SLACK}#enrique"]
    assert frame["source_file"].unique().to_list() == [str(SLACK / "enrique" / "2016-01-15.json")]
    assert frame["speaker_id"].to_list() == [
        "U0BMYT2FL", "U0BMQB6JE", "U0BMYT2FL", "U0BMQB6JE", "U0BMQB6JE", "U0BMQB6JE",
    ]  # fmt: skip
    # Names are users.json real_name values.
    assert frame["speaker"].to_list() == [
        "Harry Potter", "Hamza Faran", "Harry Potter", "Hamza Faran", "Hamza Faran", "Hamza Faran",
    ]  # fmt: skip
    assert frame["text"].to_list() == [
        "what should setup.py do? install dependencies for docker and install docker plus contain the executor?",
        'Nope. Just "install" the executor.',
        "so can it itself just be the executor? I don't think it will need any outside dependencies",
        "Here's an example: https://github.com/hfaran/progressive/blob/master/setup.py",
        'You can consider them the "build" system of python',
        "Actually, you can just copy the setup.py from miguel when I make that one because it's going to be pretty much the same",
    ]
    # No subtypes in the sample: no system lines, no multi-line bodies.
    assert frame["kind"].to_list() == ["text"] * 6
    assert not any("\n" in text for text in frame["text"].to_list())
    # ts "1452845865.000008" is 2016-01-15 08:17:45 UTC; the fraction is a sequence number.
    assert frame["time"][0] == datetime(2016, 1, 15, 8, 17, 45)
    assert frame["time"][5] == datetime(2016, 1, 15, 9, 21, 17)
    assert frame["message_id"][0] == "1452845865.000008"
    assert frame["reply_to"].null_count() == 6


def test_slack_export_sample_as_a_zip(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "testarchive.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for item in sorted(SLACK.rglob("*.json")):
            handle.write(item, item.relative_to(SLACK).as_posix())
    name, frame, rejects = read(archive)
    assert (name, rejects, frame.height) == ("slack", [], 6)
    assert frame["speaker"].to_list() == read(SLACK)[1]["speaker"].to_list()
