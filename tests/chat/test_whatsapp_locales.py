"""WhatsApp exports in other languages: header styles and localised placeholder lines."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dataprep.chat.readers.whatsapp import parse_whatsapp
from dataprep.chat.readers.whatsapp_strings import (
    ANDROID_MEDIA,
    DELETED,
    FILE_ATTACHED,
    IOS_MEDIA,
    LIVE_LOCATION,
    LOCATION_PREFIXES,
    MISSED_CALLS_BY_LANGUAGE,
)
from tests.conftest import run_main


def parse(text: str, **kwargs: object):
    return parse_whatsapp(text, "chat.txt", **kwargs)  # type: ignore[arg-type]


# The header of a message sent at `expected` by "Ana", in the style of one locale.
HEADERS = [
    ("fr-android-a", "12/02/2024 à 19:30 - Ana: salut", datetime(2024, 2, 12, 19, 30)),
    ("hr-spaced-dots", "13. 6. 2018. 21:25:15 - Ana: bok", datetime(2018, 6, 13, 21, 25, 15)),
    ("time-dot", "2022/12/14, 13:34. - Ana: hi", datetime(2022, 12, 14, 13, 34)),
    ("month-year-day", "[06/2018/13, 21:25:15] Ana: hi", datetime(2018, 6, 13, 21, 25, 15)),
    ("de-um", "14.02.24 um 19:30 - Ana: hallo", datetime(2024, 2, 14, 19, 30)),
    ("fi-klo", "14.2.2024 klo 19.30 - Ana: moi", datetime(2024, 2, 14, 19, 30)),
    ("es-pm", "14/2/24, 7:30 p. m. - Ana: hola", datetime(2024, 2, 14, 19, 30)),
    ("es-am", "14/2/24, 7:30 a. m. - Ana: hola", datetime(2024, 2, 14, 7, 30)),
    ("en-pm-nnbsp", "2/14/24, 7:30\u202fPM - Ana: hi", datetime(2024, 2, 14, 19, 30)),
    ("ios-bracket-pm", "[14/02/2024, 7:30:05 PM] Ana: hi", datetime(2024, 2, 14, 19, 30, 5)),
    ("zh-afternoon", "2024/2/14 下午7:30 - Ana: 你好", datetime(2024, 2, 14, 19, 30)),
    ("ja-morning", "2024/02/14 午前7:30 - Ana: こんにちは", datetime(2024, 2, 14, 7, 30)),
    ("ko-afternoon", "2024. 2. 14. 오후 7:30 - Ana: 안녕", datetime(2024, 2, 14, 19, 30)),
    ("de-nachm", "14.02.24, 7:30 nachm. - Ana: hallo", datetime(2024, 2, 14, 19, 30)),
    ("year-first-dash", "2024-02-14 19:30 - Ana: hi", datetime(2024, 2, 14, 19, 30)),
    ("en-dash-separator", "14/02/2024, 19:30 \u2013 Ana: hi", datetime(2024, 2, 14, 19, 30)),
]


@pytest.mark.parametrize(
    ("line", "expected"), [h[1:] for h in HEADERS], ids=[h[0] for h in HEADERS]
)
def test_header_styles_of_supported_languages(line, expected):
    frame, _ = parse(line + "\n" + line.replace("Ana", "Bo") + "\n")
    assert frame.height == 2
    assert frame.get_column("speaker").to_list() == ["Ana", "Bo"]
    assert frame.get_column("time").to_list() == [expected, expected]


# Real placeholder lines, one per language, written out here rather than taken from the
# reader's tables (the tables are tested for every entry below as well).
LOCALISED_MEDIA = [
    ("en", "<Media omitted>"), ("es", "<Multimedia omitido>"), ("de", "<Medien ausgeschlossen>"),
    ("fr", "<Médias omis>"), ("it", "<Media omessi>"), ("pt", "<Mídia oculta>"),
    ("nl", "<Media weggelaten>"), ("ru", "<Без медиафайлов>"), ("tr", "<Medya dahil edilmedi>"),
    ("id", "<Media tidak disertakan>"), ("pl", "<pominięto multimedia>"),
    ("ar", "<تم استبعاد الوسائط>"), ("zh", "<省略多媒体文件>"), ("ja", "<メディアなし>"),
    ("ko", "<미디어 파일 제외됨>"), ("sv", "<Media utelämnat>"), ("cs", "< Média vynechána >"),
    ("he", "<המדיה לא נכללה>"), ("hi", "<मीडिया के बिना>"), ("vi", "<Bỏ qua Media>"),
    ("it-ios", "‹immagine omessa›"), ("it-ios-video", "‹video omesso›"),
    ("de-ios", "\u200eBild weggelassen"), ("es-ios", "imagen omitida"),
    ("pt-ios", "figurinha omitida"), ("fr-ios", "\u200eimage omise"),
    ("en-ios-doc", "\u200eReport.pdf • 2 pages document omitted"),
    ("en-view-once", "<View once voice message omitted>"), ("pt-view-once", "<arquivo não revelado>"),
    ("poll", "POLL:\nDinner?\nOPTION: pizza (2 votes)"),
    ("location", "location: https://maps.google.com/?q=48.85,2.35"),
    ("es-location", "Ubicación: https://maps.google.com/?q=40.41,-3.70"),
]  # fmt: skip
LOCALISED_DELETED = [
    ("en", "This message was deleted"), ("es", "Se eliminó este mensaje"),
    ("de", "Diese Nachricht wurde gelöscht"), ("fr", "Ce message a été supprimé"),
    ("it", "Questo messaggio è stato eliminato"), ("pt", "Esta mensagem foi apagada"),
    ("ru", "Это сообщение удалено"), ("nl", "Dit bericht is verwijderd"),
    ("pl", "Ta wiadomość została usunięta"), ("id", "Pesan ini telah dihapus"),
    ("tr", "Bu mesaj silindi"), ("ar", "تم حذف هذه الرسالة"), ("he", "הודעה זו נמחקה"),
    ("android-null", "null"),
]  # fmt: skip
CALLS = [
    ("en", "Missed voice call"), ("en-video", "Missed video call"),
    ("pl", "Nieodebrane połączenie głosowe"), ("ru", "Пропущенный аудиозвонок"),
    ("it", "videochiamata persa"),
]  # fmt: skip


def _kind_of(body: str) -> tuple[str, str]:
    text = f"14/02/2024, 19:30 - Ana: hi\n14/02/2024, 19:31 - Bo: {body}\n"
    frame, _ = parse(text)
    row = frame.row(1, named=True)
    return row["kind"], row["text"]


@pytest.mark.parametrize(
    ("body"), [m[1] for m in LOCALISED_MEDIA], ids=[m[0] for m in LOCALISED_MEDIA]
)
def test_localised_media_lines_are_media(body):
    assert _kind_of(body)[0] == "media"


@pytest.mark.parametrize(
    ("body"), [m[1] for m in LOCALISED_DELETED], ids=[m[0] for m in LOCALISED_DELETED]
)
def test_localised_deleted_lines_are_deleted(body):
    assert _kind_of(body)[0] == "deleted"


@pytest.mark.parametrize(("body"), [m[1] for m in CALLS], ids=[m[0] for m in CALLS])
def test_missed_calls_are_system_lines(body):
    assert _kind_of(body)[0] == "system"


@pytest.mark.parametrize(
    ("language", "body"),
    [(lang, f"<{s}>") for lang, strings in ANDROID_MEDIA.items() for s in strings]
    + [(lang, s.upper()) for lang, strings in IOS_MEDIA.items() for s in strings],
)
def test_every_known_media_string_is_recognised(language, body):
    assert _kind_of(body)[0] == "media", language


@pytest.mark.parametrize(
    ("language", "body"), [(lang, s) for lang, strings in DELETED.items() for s in strings]
)
def test_every_known_deleted_string_is_recognised(language, body):
    assert _kind_of(body)[0] == "deleted", language


def _each(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(language, s) for language, strings in table.items() for s in strings]


@pytest.mark.parametrize(("language", "name"), _each(FILE_ATTACHED))
def test_every_file_attached_form_is_media_and_keeps_its_caption(language, name):
    assert _kind_of(f"IMG-20240214-WA0001.jpg ({name})")[0] == "media", language
    assert _kind_of(f"IMG-20240214-WA0001.jpg ({name})\ncaption")[1] == "caption"


@pytest.mark.parametrize(("language", "prefix"), _each(LOCATION_PREFIXES))
def test_every_location_line_is_media(language, prefix):
    assert _kind_of(f"{prefix} https://maps.google.com/?q=48.8,2.3")[0] == "media", language


@pytest.mark.parametrize(("language", "line"), _each(LIVE_LOCATION))
def test_every_live_location_line_is_media(language, line):
    assert _kind_of(line)[0] == "media", language


@pytest.mark.parametrize(("language", "line"), _each(MISSED_CALLS_BY_LANGUAGE))
def test_every_missed_call_line_is_a_system_line(language, line):
    assert _kind_of(line)[0] == "system", language


@pytest.mark.parametrize(
    "table", [ANDROID_MEDIA, DELETED, FILE_ATTACHED, LOCATION_PREFIXES, MISSED_CALLS_BY_LANGUAGE]
)
def test_each_kind_covers_at_least_fifteen_languages(table):
    assert len({language.split("-")[0] for language in table if not language.startswith("_")}) >= 15


def test_the_hand_written_examples_cover_fifteen_languages():
    assert len({m[0].split("-")[0] for m in LOCALISED_MEDIA}) >= 15
    assert len({m[0].split("-")[0] for m in LOCALISED_DELETED}) >= 13


def test_text_mentioning_a_placeholder_stays_text():
    assert _kind_of("I saw <Media omitted> in the export, weird") == (
        "text",
        "I saw <Media omitted> in the export, weird",
    )
    assert _kind_of("the image omitted from the slides was mine")[0] == "text"


@pytest.mark.parametrize(
    "attachment",
    [
        "IMG-20240214-WA0001.jpg (file attached)",
        "<Media omitted>",
        "\u200e<attached: 00000012-PHOTO-2024-02-14.jpg>",
    ],
)
def test_a_media_message_caption_is_kept_as_text(attachment):
    assert _kind_of(f"{attachment}\nLook at this sunset") == ("text", "Look at this sunset")


def test_ambiguous_day_month_order_is_a_warning_naming_date_order(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "01/03/2024, 09:00 - Ana: hi\n01/03/2024, 09:01 - Colin: hello\n"
        "02/03/2024, 09:00 - Ana: again\n02/03/2024, 09:05 - Colin: yes\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "train.jsonl"
    code, _, err = run_main(
        "chat", chat, "--me", "Colin", "--no-pii", "--no-dedupe", "--no-split", "--out", out
    )
    assert code == 0, err
    assert "--date-order" in err and "day-first" in err
    report = json.loads((tmp_path / "out" / "train.report.json").read_text())
    assert any("--date-order mdy" in w for w in report["warnings"])


def test_unambiguous_files_give_no_date_order_warning(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "13/03/2024, 09:00 - Ana: hi\n13/03/2024, 09:01 - Colin: hello\n", encoding="utf-8"
    )
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "chat", chat, "--me", "Colin", "--no-pii", "--no-dedupe", "--no-split", "--out", out
    )
    assert code == 0, err
    assert "--date-order" not in err


def test_us_export_with_small_days_is_read_month_first_when_told(tmp_path):
    text = "01/03/2024, 09:00 - Ana: hi\n01/03/2024, 09:01 - Bo: hello\n"
    frame, found = parse(text, date_order="mdy")
    assert frame.get_column("time").to_list()[0] == datetime(2024, 1, 3, 9, 0)
    assert found.date_order_source == "given"
