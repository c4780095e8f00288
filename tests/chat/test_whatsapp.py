"""The WhatsApp reader on the project's own fixtures and on hand-built edge cases."""

from __future__ import annotations

import codecs
import importlib.util
import zipfile
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.chat.readers import ReaderOptions, detect_format
from dataprep.chat.readers.whatsapp import WhatsAppReader, parse_whatsapp
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError
from tests.conftest import FIXTURES, REPO, run_main

WHATSAPP = FIXTURES / "chat" / "whatsapp"
READER = WhatsAppReader()


def read(path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple[object, ...]]]:
    rejects: list[tuple[object, ...]] = []
    frames = list(READER.read(path, ReaderOptions(**options), lambda *row: rejects.append(row)))
    return pl.concat(frames), rejects


def parse(text: str, **kwargs: object) -> pl.DataFrame:
    return parse_whatsapp(text, "chat.txt", **kwargs)[0]  # type: ignore[arg-type]


# file, messages, speakers (in order of first appearance), kinds, first time, last time
FIXTURE_TABLE = [
    (
        "android_dmy_24h_colin.txt",
        31,
        ["Maya", "Colin"],
        {"text": 27, "system": 1, "media": 2, "deleted": 1},
        datetime(2024, 3, 14, 8, 2),
        datetime(2024, 3, 16, 18, 45),
    ),
    (
        "ios_bracketed_ddmmyy.txt",
        11,
        ["Colin", "Jonas Weber"],
        {"text": 8, "media": 2, "deleted": 1},
        datetime(2023, 5, 2, 9, 14, 3),
        datetime(2023, 5, 25, 17, 32, 40),
    ),
    (
        "us_mdy_12h_nnbsp.txt",
        8,
        ["Colin", "Priya"],
        {"text": 7, "media": 1},
        datetime(2024, 1, 15, 9, 3),
        datetime(2024, 1, 20, 13, 5),
    ),
    (
        "es_android_12h_pm.txt",
        6,
        ["Lucía", "Colin"],
        {"text": 4, "media": 1, "deleted": 1},
        datetime(2025, 3, 28, 21, 29),
        datetime(2025, 3, 29, 12, 15),
    ),
    (
        "ymd_en_dash.txt",
        4,
        ["Farid", "Colin"],
        {"text": 3, "media": 1},
        datetime(2023, 12, 20, 17, 46),
        datetime(2023, 12, 22, 8, 15),
    ),
    (
        "group_phone_authors.txt",
        11,
        ["+44 7700 900123", "Colin", "+1 555 0100"],
        {"text": 5, "system": 5, "deleted": 1},
        datetime(2022, 8, 7, 18, 0),
        datetime(2022, 8, 13, 20, 31),
    ),
    (
        "android_export_with_media.zip",
        6,
        ["Ravi", "Colin"],
        {"text": 5, "media": 1},
        datetime(2024, 3, 1, 19, 2),
        datetime(2024, 3, 1, 19, 9),
    ),
]


@pytest.mark.parametrize(
    ("name", "count", "speakers", "kinds", "first", "last"),
    FIXTURE_TABLE,
    ids=[row[0] for row in FIXTURE_TABLE],
)
def test_fixture_exports(
    name: str,
    count: int,
    speakers: list[str],
    kinds: dict[str, int],
    first: datetime,
    last: datetime,
) -> None:
    path = WHATSAPP / name
    assert detect_format(path).name == "whatsapp"
    frame, rejects = read(path)
    assert rejects == []
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    assert frame.height == count
    assert (
        frame.get_column("speaker").drop_nulls().unique(maintain_order=True).to_list() == speakers
    )
    assert dict(frame.group_by("kind").len().iter_rows()) == kinds
    assert frame.get_column("time").to_list()[0] == first
    assert frame.get_column("time").to_list()[-1] == last
    assert frame.get_column("time").null_count() == 0
    assert (
        frame.get_column("conversation").unique().to_list()
        == frame.get_column("source_file").unique().to_list()
    )


def test_fixture_details_multiline_media_deleted_and_lines() -> None:
    frame, _ = read(WHATSAPP / "android_dmy_24h_colin.txt")
    packing = frame.filter(pl.col("source_line") == 10).row(0, named=True)
    assert packing["speaker"] == "Colin"
    assert (
        packing["text"]
        == "Packing list so far:\n- water, 2 litres each\n- rain jacket just in case\n- sandwiches"
    )
    # The message after the 4-line one starts on line 14: source_line is the header's line.
    assert frame.get_column("source_line").to_list()[10] == 14
    media = frame.filter(pl.col("kind") == "media").get_column("text").to_list()
    assert media == ["<Media omitted>", "IMG-20240316-WA0007.jpg (file attached)"]


def test_zip_export_names_the_member_and_ignores_media() -> None:
    frame, _ = read(WHATSAPP / "android_export_with_media.zip")
    source = f"{WHATSAPP / 'android_export_with_media.zip'}!/WhatsApp Chat with Ravi.txt"
    assert frame.get_column("conversation").unique().to_list() == [source]
    assert frame.get_column("source_file").unique().to_list() == [source]


def test_ios_marks_and_multiline_question() -> None:
    frame, _ = read(WHATSAPP / "ios_bracketed_ddmmyy.txt")
    rows = frame.rows(named=True)
    assert rows[2]["speaker"] == "Jonas Weber"  # the header line starts with U+200E
    assert rows[2]["text"] == "\u200eimage omitted"  # raw text kept, kind says media
    assert (
        rows[4]["text"] == "Two questions:\n1. Do we keep the intro?\n2. Who presents the numbers?"
    )
    assert rows[9]["text"] == "Note: the room changed to 4B"


def test_group_system_lines_and_phone_authors() -> None:
    frame, _ = read(WHATSAPP / "group_phone_authors.txt")
    system = frame.filter(pl.col("kind") == "system")
    assert system.get_column("speaker").null_count() == system.height
    assert system.get_column("source_line").to_list() == [1, 2, 3, 8, 9]
    # A subject containing ": " is a group event, not an author called '... "Book club'.
    assert "changed the subject" in system.get_column("text").to_list()[3]
    question = frame.filter(pl.col("source_line") == 6).row(0, named=True)
    assert (question["speaker"], question["text"]) == (
        "+1 555 0100",
        "Hi all: quick question, paperback or e-book?",
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("12/20/2021, 12:10 p. m. - ", datetime(2021, 12, 20, 12, 10)),
        ("12/20/2021, 12:10 a. m. - ", datetime(2021, 12, 20, 0, 10)),
        ("06/20/2020, 00:08 a. m. - ", datetime(2020, 6, 20, 0, 8)),
        ("1/15/24, 9:03\u202fPM - ", datetime(2024, 1, 15, 21, 3)),
        ("1/15/24, 9:03 pm - ", datetime(2024, 1, 15, 21, 3)),
        ("1/15/24, 9:03\u00a0p.\u00a0m. - ", datetime(2024, 1, 15, 21, 3)),
        ("[1/15/24, 9:03:07\u202fAM] ", datetime(2024, 1, 15, 9, 3, 7)),
        ("\u200e[15.01.24, 21:03:07] ", datetime(2024, 1, 15, 21, 3, 7)),
        ("15.01.2024, 21.03 - ", datetime(2024, 1, 15, 21, 3)),
        ("2024-01-15, 21:03 \u2013 ", datetime(2024, 1, 15, 21, 3)),
        ("[2024/1/15 21:03:07] ", datetime(2024, 1, 15, 21, 3, 7)),
        ("2023-12-20, 5:46 p.m. - ", datetime(2023, 12, 20, 17, 46)),
        ("2023/12/20, 5:46 pm - ", datetime(2023, 12, 20, 17, 46)),
        ("[06.13.18 21:25:15] ", datetime(2018, 6, 13, 21, 25, 15)),
        ("13.06.18 21.25.15: ", datetime(2018, 6, 13, 21, 25, 15)),
        ("13.6.2018 klo 21.25.15 - ", datetime(2018, 6, 13, 21, 25, 15)),
    ],
    ids=[
        "es-noon-pm",
        "es-midnight-am",
        "impossible-00-am",
        "nnbsp-PM",
        "lower-pm",
        "nbsp-p.m.",
        "ios-12h-seconds",
        "ios-lrm",
        "dotted-time-4y",
        "ymd-en-dash",
        "ymd-bracket-space",
        "en-CA",
        "en-ZA",
        "mdy-dots-bracket",
        "colon-separator",
        "finnish-klo",
    ],
)
def test_header_variants(header: str, expected: datetime) -> None:
    # A second header with a day over 12 pins the order in every variant.
    frame = parse(f"{header}Ana: hola\n{header}Ben: hi\n")
    assert frame.get_column("time").to_list() == [expected, expected]
    assert frame.get_column("speaker").to_list() == ["Ana", "Ben"]
    assert frame.get_column("text").to_list() == ["hola", "hi"]


@pytest.mark.parametrize(
    ("dates", "given", "expected"),
    [
        (["3/4/24", "13/4/24"], "auto", [datetime(2024, 4, 3), datetime(2024, 4, 13)]),
        (["3/4/24", "4/13/24"], "auto", [datetime(2024, 3, 4), datetime(2024, 4, 13)]),
        (["3/4/24", "4/5/24"], "auto", [datetime(2024, 4, 3), datetime(2024, 5, 4)]),
        (["3/4/24", "4/5/24"], "mdy", [datetime(2024, 3, 4), datetime(2024, 4, 5)]),
    ],
    ids=["dmy-from-day-13", "mdy-from-day-13", "ambiguous-defaults-dmy", "given-mdy"],
)
def test_date_order_is_inferred_once_per_file(
    dates: list[str], given: str, expected: list[datetime]
) -> None:
    text = "".join(f"{date}, 00:00 - Ana: x\n" for date in dates)
    frame, found = parse_whatsapp(text, "chat.txt", date_order=given)  # type: ignore[arg-type]
    assert frame.get_column("time").to_list() == expected
    source = {"auto": "inferred", "mdy": "given"}[given]
    if dates[1] == "4/5/24" and given == "auto":
        source = "ambiguous"
    assert found.date_order_source == source


def test_year_first_dates_ignore_a_day_month_order() -> None:
    frame, found = parse_whatsapp("2023-12-01, 17:46 - Ana: x\n", "c.txt", date_order="mdy")
    assert frame.get_column("time").to_list() == [datetime(2023, 12, 1, 17, 46)]
    assert found.date_order == "ymd"


def test_ymd_order_on_year_last_dates_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"c\.txt: date order ymd does not fit"):
        parse_whatsapp("1/12/23, 17:46 - Ana: x\n", "c.txt", date_order="ymd")


def test_dominant_format_wins_and_ties_are_deterministic() -> None:
    ios = "[01.02.19, 11:09:15] Ana: a"
    android = "01/02/19, 11:10 - Ben: b"
    frame = parse("\n".join([android, ios, ios]))
    assert frame.get_column("source_line").to_list() == [2, 3]
    tied = [
        parse("\n".join(order)).get_column("source_line").to_list()
        for order in ([ios, android], [android, ios])
    ]
    # Same two formats, once each: the choice depends on the formats, not on line order.
    assert tied == [[2], [1]]  # the Android format both times


def test_late_day_over_12_decides_for_the_whole_file() -> None:
    """Pustur #237: the order must come from all lines, not the first few."""
    lines = [f"{m}/{d}/24, 10:00 - Ana: x" for m in range(1, 13) for d in range(1, 13)]
    lines.append("12/25/24, 10:00 - Ana: Christmas")
    frame = parse("\n".join(lines))
    assert frame.get_column("time").to_list()[1] == datetime(2024, 1, 2, 10, 0)
    assert frame.get_column("time").to_list()[-1] == datetime(2024, 12, 25, 10, 0)


def test_impossible_dates_give_null_time_not_an_error() -> None:
    frame, found = parse_whatsapp(
        "31/1/24, 10:00 - Ana: ok\n31/2/24, 10:00 - Ana: feb 31\n", "c.txt"
    )
    assert frame.get_column("time").to_list() == [datetime(2024, 1, 31, 10, 0), None]
    assert found.invalid_dates == 1


def test_leap_day() -> None:
    frame = parse("29/2/24, 10:00 - Ana: leap\n29/2/23, 10:00 - Ana: not leap\n")
    assert frame.get_column("time").to_list() == [datetime(2024, 2, 29, 10, 0), None]


def test_only_the_dominant_header_format_starts_messages() -> None:
    text = (
        "[01.02.19, 11:09:15] Ana: first\n"
        "[1.2.2019, 00:00:00] Ana: a header in another format\n"
        "2/11/19, 14:48 Ben: no dash, not a header\n"
        "01/02/19, 11:10 - Ben: the Android form, also foreign here\n"
        "[13.02.19, 11:09:59] Ben: second\n"
    )
    frame = parse(text)
    assert frame.height == 2
    assert frame.get_column("text").to_list()[0] == (
        "first\n[1.2.2019, 00:00:00] Ana: a header in another format\n"
        "2/11/19, 14:48 Ben: no dash, not a header\n"
        "01/02/19, 11:10 - Ben: the Android form, also foreign here"
    )


@pytest.mark.parametrize(
    ("lines", "speakers", "texts"),
    [
        (["Dr: Who: hello", "Dr: hi"], ["Dr", "Dr"], ["Who: hello", "hi"]),
        (["Ana: note: buy milk", "Ana: ok"], ["Ana", "Ana"], ["note: buy milk", "ok"]),
        (["Ana:", "Ana: later"], ["Ana", "Ana"], ["", "later"]),
        (["Ana:.", "Ana: hi"], ["Ana", "Ana"], [".", "hi"]),
        (["Ana: hi", "Unknown:glued"], ["Ana", None], ["hi", "Unknown:glued"]),
        (["Ana: see: this:", "Ana: x"], ["Ana", "Ana"], ["see: this:", "x"]),
        (["You were added", "Ana: hi"], [None, "Ana"], ["You were added", "hi"]),
        (
            ["\u202a+1\u00a0555\u00a00100\u202c: hi", "Ana: hi"],
            ["+1 555 0100", "Ana"],
            ["hi", "hi"],
        ),
    ],
    ids=[
        "name-with-colon-known",
        "text-with-colon",
        "empty-text",
        "glued-known",
        "glued-unknown",
        "trailing-colon",
        "system",
        "phone-marks",
    ],
)
def test_author_and_text_split(
    lines: list[str], speakers: list[str | None], texts: list[str]
) -> None:
    frame = parse("".join(f"1/1/24, 10:0{i} - {line}\n" for i, line in enumerate(lines)))
    assert frame.get_column("speaker").to_list() == speakers
    assert frame.get_column("text").to_list() == texts


def test_name_containing_colon_space_is_recovered_when_it_recurs() -> None:
    """A contact saved as "Work: Bob" is a candidate on every line of Bob's; "Work" never posts."""
    text = (
        "1/1/24, 10:00 - Ana: hi\n"
        "1/1/24, 10:01 - Work: Bob: morning\n"
        "1/1/24, 10:02 - Work: Bob: see you at 10\n"
        "1/1/24, 10:03 - Ana: agenda: budget, hiring\n"
    )
    frame = parse(text)
    assert frame.get_column("speaker").to_list() == ["Ana", "Work: Bob", "Work: Bob", "Ana"]
    assert frame.get_column("text").to_list() == [
        "hi",
        "morning",
        "see you at 10",
        "agenda: budget, hiring",
    ]


def test_unknown_author_with_colons_in_every_message_keeps_the_first_split() -> None:
    text = "1/1/24, 10:00 - Cy: note: one\n1/1/24, 10:01 - Cy: time: 5pm\n"
    frame = parse(text)
    assert frame.get_column("speaker").to_list() == ["Cy", "Cy"]
    assert frame.get_column("text").to_list() == ["note: one", "time: 5pm"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<Media omitted>", "media"),
        ("\u200eimage omitted", "media"),
        ("video omitted", "media"),
        ("GIF omitted", "media"),
        ("report.pdf • 3 pages document omitted", "media"),
        ("\u200e<attached: 00000042-PHOTO-2020-06-07-15-13-20.jpg>", "media"),
        ("IMG-20210428-WA0001.jpg (file attached)", "media"),
        ("PTT-20250328-WA0003.opus (archivo adjunto)", "media"),
        ("DOC-1.pdf (Datei angehängt)", "media"),
        ("2015-08-04-PHOTO-00004762.jpg <\u200eattached>", "media"),
        ("This message was deleted", "deleted"),
        ("\u200eThis message was deleted.", "deleted"),
        ("You deleted this message", "deleted"),
        ("Se eliminó este mensaje.", "deleted"),
        ("I left the image omitted from the report on purpose, really", "text"),
        ("that was the image omitted", "text"),
        ("who deleted this message?", "text"),
        ("<Media omitted> was a joke", "text"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 12 else None,
)
def test_placeholder_kinds(text: str, kind: str) -> None:
    frame = parse(f"1/1/24, 10:00 - Ana: {text}\n")
    assert frame.get_column("kind").to_list() == [kind]
    assert frame.get_column("text").to_list() == [text]


def test_lines_before_the_first_header_are_counted_rejects() -> None:
    rejects: list[tuple[object, ...]] = []
    text = "Chat export\n\n1/1/24, 10:00 - Ana: hi\n"
    frame = parse_whatsapp(text, "c.txt", reject=lambda *row: rejects.append(row))[0]
    assert frame.height == 1
    assert rejects == [("c.txt", 1, "text before the first message header", "Chat export")]


def test_crlf_and_missing_final_newline() -> None:
    frame = parse("1/1/24, 10:00 - Ana: one\r\ntwo\r\n1/1/24, 10:01 - Ben: three")
    assert frame.get_column("text").to_list() == ["one\ntwo", "three"]
    assert frame.get_column("source_line").to_list() == [1, 3]


def test_unicode_line_separators_do_not_split_messages() -> None:
    body = "a\u2028b\x85c\x0cd"
    frame = parse(f"1/1/24, 10:00 - Ana: {body}\n1/1/24, 10:01 - Ben: x\n")
    assert frame.get_column("text").to_list() == [body, "x"]


CHAT = "14/3/24, 08:02 - Maya: Morning!\n14/3/24, 08:05 - Colin: Hi ☀\n"


@pytest.mark.parametrize(
    "encoded",
    [
        codecs.BOM_UTF8 + CHAT.encode("utf-8"),
        codecs.BOM_UTF16_LE + CHAT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + CHAT.encode("utf-16-be"),
        CHAT.encode("utf-16-le"),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_encodings_are_detected(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(encoded)
    assert detect_format(path).name == "whatsapp"
    frame, _ = read(path)
    assert frame.get_column("speaker").to_list() == ["Maya", "Colin"]
    assert frame.get_column("text").to_list() == ["Morning!", "Hi ☀"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"14/3/24, 08:02 - Maya: ok\n14/3/24, 08:03 - Maya: caf\xe9\n",
            r"chat.txt:2: cannot decode byte 0xe9 as utf-8",
        ),
        (b"", "the file is empty"),
        (b"\n \n", "the file is empty"),
        (b"just some notes\nwith no chat headers\n", "no WhatsApp message header found"),
    ],
    ids=["undecodable", "empty", "blank", "no-headers"],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        read(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_forced_encoding(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes("14/3/24, 08:02 - Maya: café\n".encode("cp1252"))
    frame, _ = read(path, encoding="cp1252")
    assert frame.get_column("text").to_list() == ["café"]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_with_several_txt_members_reads_only_chats(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "export.zip",
        {
            "notes.txt": b"shopping list\nmilk\n",
            "_chat.txt": CHAT.encode(),
            "IMG-1.jpg": b"\xff\xd8",
        },
    )
    assert READER.sniff(path, "")
    frame, _ = read(path)
    assert frame.height == 2
    assert frame.get_column("conversation").unique().to_list() == [f"{path}!/_chat.txt"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"notes.txt": b"no chat here\n"}, "no WhatsApp chat .txt inside the archive"),
        ({"../_chat.txt": CHAT.encode()}, "'..' path component"),
        ({"_chat.txt": b"14/3/24, 08:02 - Maya: caf\xe9\n"}, r"!/_chat.txt:1: cannot decode"),
    ],
    ids=["no-chat", "dotdot", "undecodable-member"],
)
def test_bad_zip_exports(tmp_path: Path, members: dict[str, bytes], message: str) -> None:
    path = _zip(tmp_path / "export.zip", members)
    with pytest.raises(InputError, match=message):
        read(path)


def test_zip_member_limit_comes_from_options(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"_chat.txt": CHAT.encode()})
    with pytest.raises(InputError, match="larger than the limit of 10 bytes"):
        read(path, max_member_bytes=10)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("chat.txt", CHAT, True),
        ("chat.txt", "\u200e[04.01.18, 11:53:57] Ana: hi\n", True),
        ("chat.txt", "\n\n14/3/24, 08:02 - Maya: hi\n", True),
        ("notes.txt", "Meeting notes\n14/3/24, 08:02 - Maya: hi\n", False),
        ("titled.txt", "Our chat\n" + "14/3/24, 08:02 - Maya: hi\n" * 3, True),
        ("chat.csv", CHAT, False),
        ("broken.zip", "not a zip", False),
    ],
    ids=[
        "android",
        "ios-lrm",
        "leading-blank-lines",
        "one-header-after-text",
        "title-then-headers",
        "wrong-suffix",
        "corrupt-zip",
    ],
)
def test_sniff(tmp_path: Path, name: str, content: str, expected: bool) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert READER.sniff(path, content) is expected


def test_cli_reports_bad_zip_in_one_line(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"../_chat.txt": CHAT.encode()})
    code, _, err = run_main(
        "chat",
        path,
        "--me",
        "Colin",
        "--out",
        tmp_path / "train.jsonl",
        "--input-format",
        "whatsapp",
        "-q",
    )
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "'..' path component" in lines[0] and "Traceback" not in err
    assert not (tmp_path / "train.jsonl").exists()


def test_cli_reports_undecodable_file_with_line(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(b"14/3/24, 08:02 - Maya: ok\n14/3/24, 08:03 - Colin: caf\xe9\n")
    code, _, err = run_main("chat", path, "--me", "Colin", "--out", tmp_path / "train.jsonl", "-q")
    assert code == 2
    assert f"{path}:2: cannot decode byte 0xe9" in err
    assert "Traceback" not in err


# --- Hypothesis round trip: render messages in a header format, parse, get them back -----

NAME_CHARS = st.characters(
    codec="utf-8", categories=("L", "N", "So"), exclude_characters="\u00a0\u202f"
)
NAMES = st.text(NAME_CHARS, min_size=1, max_size=8).flatmap(
    lambda first: st.sampled_from([first, f"{first} Q. Lee", f"\u202a{first}\u202c"])
)
# Continuation lines hold no digits, so none can look like a header of any format.
LINE_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Nd"), exclude_characters="\r\n"
)
FIRST_LINE = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))


def _twelve(when: datetime, am: str, pm: str, space: str = "\u202f") -> str:
    return f"{(when.hour % 12) or 12}:{when.minute:02d}{space}{pm if when.hour >= 12 else am}"


AM_ES, PM_ES = "a.\u00a0m.", "p.\u00a0m."
RENDERERS = {
    "android-dmy": ("dmy", lambda t: f"{t.day}/{t.month}/{t.year % 100:02d}, {t:%H:%M} - "),
    "ios-dmy-seconds": ("dmy", lambda t: f"\u200e[{t:%d.%m.%y, %H:%M:%S}] "),
    "us-mdy-12h": (
        "mdy",
        lambda t: f"{t.month}/{t.day}/{t.year % 100:02d}, {_twelve(t, 'AM', 'PM')} - ",
    ),
    "es-dmy-a.m.": ("dmy", lambda t: f"{t:%d/%m/%Y}, {_twelve(t, AM_ES, PM_ES, ' ')} - "),
    "ymd-en-dash": ("ymd", lambda t: f"{t:%Y-%m-%d, %H:%M} \u2013 "),
}


@st.composite
def chats(draw: st.DrawFn) -> list[tuple[str | None, str, datetime]]:
    names = draw(
        st.lists(NAMES, min_size=1, max_size=3, unique_by=lambda n: n.strip("\u202a\u202c"))
    )
    messages = []
    for _ in range(draw(st.integers(1, 12))):
        when = draw(TIMES)
        if draw(st.integers(0, 9)) == 0:
            words = draw(st.text(st.characters(categories=("L",)), min_size=1, max_size=12))
            messages.append((None, f"{words} left", when))
            continue
        more = draw(st.lists(st.text(LINE_CHARS, max_size=20), max_size=3))
        messages.append((draw(st.sampled_from(names)), "\n".join([draw(FIRST_LINE), *more]), when))
    return messages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=chats(), style=st.sampled_from(sorted(RENDERERS)))
def test_round_trip(messages: list[tuple[str | None, str, datetime]], style: str) -> None:
    order, render = RENDERERS[style]
    seconds = style.startswith("ios")
    lines = []
    for speaker, text, when in messages:
        prefix = "" if speaker is None else f"{speaker}: "
        lines.append(render(when) + prefix + text)
    frame, found = parse_whatsapp("\n".join(lines) + "\n", "chat.txt", date_order=order)  # type: ignore[arg-type]
    expected_speakers = [None if s is None else s.strip("\u202a\u202c") for s, _, _ in messages]
    assert frame.get_column("speaker").to_list() == expected_speakers
    assert frame.get_column("text").to_list() == [text for _, text, _ in messages]
    expected_times = [
        when.replace(second=when.second if seconds else 0, microsecond=0) for *_, when in messages
    ]
    assert frame.get_column("time").to_list() == expected_times
    assert found.invalid_dates == 0


def test_synthetic_benchmark_export_parses_to_every_message(tmp_path: Path) -> None:
    """The benchmark's generator and the reader agree: N messages in, N rows out, kinds counted."""
    spec = importlib.util.spec_from_file_location(
        "gen_whatsapp", REPO / "benchmarks" / "gen_whatsapp.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    path = tmp_path / "synthetic.txt"
    lines = generator.write_export(path, 3000, seed=3)
    frame, rejects = read(path)
    assert rejects == []
    assert frame.height == 3000
    assert lines > 3000  # some bodies are multi-line
    kinds = dict(frame.group_by("kind").len().iter_rows())
    assert set(kinds) == {"text", "media", "deleted", "system"}
    assert (
        frame.filter(pl.col("kind") == "system").get_column("speaker").null_count()
        == kinds["system"]
    )
    assert frame.get_column("time").is_sorted()
    assert frame.get_column("text").str.contains("\n").sum() > 0
