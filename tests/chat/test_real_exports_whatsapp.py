"""Conformance: the WhatsApp reader on three real third-party exports (see SOURCES.md there).

The expected values below were written by reading the files line by line, not by running
the parser. The files are not copied into this repository; the tests skip when absent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions, detect_format
from dataprep.chat.readers.whatsapp import parse_whatsapp

REAL = Path(__file__).parents[2].parent / "shared" / "real-exports"

pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"real exports not available at {REAL} (shared checkout only)"
)

LOREM = "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
NERD = "\U0001f913"

# (source_line, speaker, time, kind, text)
SPANISH_12H = [
    (1, "John Doe", datetime(2019, 1, 1, 11, 25), "text", "Lorem ipsum dolor sit amet."),
    (2, "John Doe", datetime(2019, 1, 20, 11, 23), "text", "."),
    (3, "Jahn Doe", datetime(2019, 1, 30, 20, 49), "text", LOREM),
    (5, "John-John Doe", datetime(2020, 6, 10, 15, 55), "text", "Lorem ipsum : dolor sit amet."),
    (6, None, datetime(2020, 6, 20, 0, 8), "system", '+12 345 578 created group "Groupname"'),
    (7, None, datetime(2020, 6, 30, 9, 10), "system", "You were added"),
    (8, f"John Doe {NERD}", datetime(2021, 12, 10, 10, 10), "text", f"Lorem ipsum {NERD}"),
    (9, NERD, datetime(2021, 12, 20, 12, 10), "text", f"Lorem ipsum {NERD}"),
    (10, "John Doe", datetime(2021, 12, 30, 22, 1), "text", LOREM),
]

E2E = (
    "Messages to this chat and calls are now secured with end-to-end encryption. Tap for more info."
)
MONKEYS = "Even longer username with emoticons! \U0001f648 \U0001f648"
ANDROID_EDGE = [
    (1, None, datetime(2019, 11, 2, 14, 18), "system", E2E),
    (2, "n", datetime(2019, 11, 2, 14, 18), "text",
     "Hey! My username is very short which shouldn't be an issue really."),
    (3, "Very long username", datetime(2019, 11, 2, 14, 21), "text",
     "Yeah not really. My username contains some spaces even..."),
    (4, MONKEYS, datetime(2019, 11, 2, 14, 21), "text", "Maybe this will crash the parser?"),
    # "The final test" also posts "Hope so!" on line 8, a one-colon line: that is the author.
    (5, "The final test", datetime(2019, 11, 2, 14, 21), "text", "Does it work with colons?: Hallelujah!"),
    (6, "John Doe", datetime(2019, 11, 2, 14, 22), "text", "Ok - so it seems to work?"),
    (7, None, datetime(2019, 11, 2, 14, 18), "system",
     E2E + " (Status messages like these should not be collected)"),
    (8, "The final test", datetime(2019, 11, 10, 14, 25), "text", "Hope so!"),
    (9, "John Doe", datetime(2019, 11, 2, 14, 33), "text", "Great!"),
    (10, "John Doe", datetime(2019, 11, 2, 14, 48), "text", "\n\n\n\n\n" + "\U0001f44d" * 6 + "!"),
    (16, "John Doe", datetime(2019, 11, 2, 14, 51), "text",
     "this is a message which contains some dates and colons\n\n\n2/11/19: Arrival\n12/12/19: Departure"),
]  # fmt: skip

ALICE, JOHN = "Alice Placeholder", "John Doe"
# (source_line, speaker) for every message of the iOS export.
IOS_SPEAKERS = [
    (1, ALICE), (2, ALICE), (3, None), (4, JOHN), (5, JOHN), (6, ALICE), (7, JOHN), (8, JOHN),
    (9, JOHN), (10, ALICE), (11, JOHN), (12, ALICE), (13, ALICE), (14, ALICE), (15, ALICE),
    (16, ALICE), (17, JOHN), (18, JOHN), (20, JOHN), (21, JOHN), (23, ALICE),
]  # fmt: skip
C1_CONTROLS = "".join(chr(code) for code in range(0x80, 0xA0) if code != 0x85)


def _rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return frame.select("source_line", "speaker", "time", "kind", "text").rows()


def _read(name: str) -> pl.DataFrame:
    path = REAL / name
    reader = detect_format(path)
    assert reader.name == "whatsapp"
    rejects: list[object] = []
    frame = pl.concat(list(reader.read(path, ReaderOptions(), lambda *row: rejects.append(row))))
    assert rejects == []
    assert frame.get_column("source_file").unique().to_list() == [str(path)]
    return frame


def test_spanish_12h_mdy_export() -> None:
    frame = _read("whatsapp_android_12h_es_ampm.txt")
    assert frame.height == 9
    assert _rows(frame) == SPANISH_12H
    authors = ["John Doe", "Jahn Doe", "John-John Doe", f"John Doe {NERD}", NERD]
    assert frame.get_column("speaker").drop_nulls().unique(maintain_order=True).to_list() == authors


def test_spanish_12h_order_is_inferred_as_mdy() -> None:
    text = (REAL / "whatsapp_android_12h_es_ampm.txt").read_text(encoding="utf-8")
    found = parse_whatsapp(text, "es.txt")[1]
    assert (found.date_order, found.date_order_source, found.twelve_hour) == (
        "mdy",
        "inferred",
        True,
    )


def test_android_edge_cases_export() -> None:
    frame = _read("whatsapp_android_edgecases.txt")
    assert frame.height == 11
    assert _rows(frame) == ANDROID_EDGE
    authors = ["n", "Very long username", MONKEYS, "The final test", "John Doe"]
    assert frame.get_column("speaker").drop_nulls().unique(maintain_order=True).to_list() == authors


def test_android_edge_cases_order_is_ambiguous_and_defaults_to_dmy() -> None:
    text = (REAL / "whatsapp_android_edgecases.txt").read_text(encoding="utf-8")
    found = parse_whatsapp(text, "edge.txt")[1]
    assert (found.date_order, found.date_order_source) == ("dmy", "ambiguous")
    forced = parse_whatsapp(text, "edge.txt", date_order="mdy")[0]
    assert forced.get_column("time").to_list()[7] == datetime(2019, 10, 11, 14, 25)


def test_ios_bracketed_export() -> None:
    frame = _read("whatsapp_ios_bracketed_ddmmyy.txt")
    assert frame.height == 21
    assert frame.select("source_line", "speaker").rows() == IOS_SPEAKERS
    assert dict(frame.group_by("kind").len().iter_rows()) == {"text": 20, "system": 1}
    rows = {row[0]: row for row in _rows(frame)}
    assert rows[3] == (3, None, datetime(2018, 1, 4, 11, 54, 23), "system", "This is an info entry")
    # The line starting with U+200E is an ordinary header.
    assert rows[4] == (
        4,
        JOHN,
        datetime(2018, 1, 4, 11, 54, 34),
        "text",
        "This is a test answer from John Doe",
    )
    # Lines in another header format (4-digit year; Android form) continue the message above.
    assert rows[18] == (
        18,
        JOHN,
        datetime(2019, 2, 1, 11, 9, 15),
        "text",
        C1_CONTROLS + "\n[1.2.2019, 00:00:00] John Doe: this line is not a message on its own",
    )
    assert rows[21] == (
        21,
        JOHN,
        datetime(2019, 2, 1, 14, 20, 3),
        "text",
        "What is that?\n2/11/19, 14:48 Alice Placeholder: this is a message from another chat!",
    )
    assert rows[1][2] == datetime(2018, 1, 4, 11, 53, 57)
    assert rows[13][2] == datetime(2018, 10, 12, 10, 14, 39)
    assert rows[23] == (
        23,
        ALICE,
        datetime(2019, 4, 19, 16, 18, 33),
        "text",
        "This is the last message of this test file.",
    )
    assert rows[17][4] == "ÅÍÎÏ˝ÓÔ\uf8ffÒÚÆ☃"  # U+F8FF: the Apple logo (private use)
    assert rows[20][4] == "¯\\_(ツ)_/¯"
