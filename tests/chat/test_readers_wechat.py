"""WeChat CSV reader (PyWxDump and MemoTrace layouts) plus bad-input cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.wechat import (
    MEMOTRACE_COLUMNS,
    PYWXDUMP_COLUMNS,
    WeChatReader,
    header_layout,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "wechat"
PYWXDUMP = FIXTURES / "pywxdump_xiaolin.csv"
MEMOTRACE = FIXTURES / "memotrace_chenmei.csv"
READER = WeChatReader()
PYWXDUMP_HEADER = "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\n"


def read(path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple]]:
    rejects: list[tuple] = []
    batches = list(READER.read(path, ReaderOptions(**options), lambda *a: rejects.append(a)))
    frame = pl.concat(batches) if batches else pl.DataFrame(schema=MESSAGE_SCHEMA)
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return frame, rejects


def test_pywxdump_fixture_rows() -> None:
    frame, rejects = read(PYWXDUMP)
    assert rejects == []
    assert frame["conversation"].unique().to_list() == [f"{PYWXDUMP}#wxid_xiaolin02"]
    assert frame["kind"].to_list() == [
        "text",
        "text",
        "media",
        "text",
        "media",
        "text",
        "deleted",
        "media",
        "text",
    ]
    assert frame["is_me"].to_list() == [False, True, False, False, True, True, True, False, True]
    assert frame["speaker"].to_list()[:2] == ["wxid_xiaolin02", "wxid_colin0001"]
    assert frame["text"].to_list() == [
        "周末一起去爬山吗？",
        "好啊！几点出发？",
        "图片",
        "早上八点吧\n记得带水\n还有防晒霜",
        "表情",
        "没问题，我开车",  # the quoted message PyWxDump appends is cut off
        "你撤回了一条消息",
        "<voice>",
        "Sounds good, see you Saturday 😊",
    ]
    # Multi-line records: the line is where each record starts.
    assert frame["source_line"].to_list() == [2, 3, 4, 5, 8, 9, 12, 13, 14]
    assert frame["time"][0] == datetime(2024, 10, 4, 11, 42)
    assert frame["message_id"][0] == "7100000000000000001"


def test_memotrace_fixture_rows_with_bom() -> None:
    assert MEMOTRACE.read_bytes().startswith(b"\xef\xbb\xbf")
    frame, rejects = read(MEMOTRACE)
    assert rejects == []
    assert frame["conversation"].unique().to_list() == [f"{MEMOTRACE}#wxid_chenmei03"]
    assert frame["kind"].to_list() == [
        "text",
        "text",
        "media",
        "system",
        "media",
        "media",
        "deleted",
        "text",
    ]
    assert frame["speaker"].to_list() == [
        "陈梅",
        "Colin",
        "陈梅",
        None,
        "陈梅",
        "Colin",
        None,
        "陈梅",
    ]
    assert frame["speaker_id"].to_list()[:2] == ["wxid_chenmei03", "wxid_colin0001"]
    assert frame["is_me"].to_list()[:2] == [False, True]
    assert frame["text"].to_list() == [
        "新年快乐！🧧",
        "新年快乐！\n祝你蛇年大吉，\n万事如意",
        "<image>",
        "你已添加了梅子，现在可以开始聊天了。",
        "<voice>",
        "<sticker>",
        '"梅子" 撤回了一条消息',
        '明天见, "老地方"',
    ]
    # StrTime (local) is used; the fixture's CreateTime is the same instant at UTC+8.
    assert frame["time"][1] == datetime(2025, 1, 28, 20, 1, 30)
    assert frame["source_line"].to_list() == [2, 3, 6, 7, 8, 9, 10, 11]


def test_createtime_epoch_when_strtime_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\n"
        "1,wxid_a,1,0,0,1700000000,2,你好,,,阿明,wxid_a\n",
        encoding="utf-8",
    )
    frame, _ = read(path)
    assert frame["time"].to_list() == [datetime(2023, 11, 14, 22, 13, 20)]
    assert frame["speaker"].to_list() == ["阿明"]


@pytest.mark.parametrize(
    ("header", "layout"),
    [
        (list(PYWXDUMP_COLUMNS), "pywxdump"),
        (list(MEMOTRACE_COLUMNS), "memotrace"),
        (["speaker", "text", "time"], None),
        (["msg", "talker"], None),
    ],
    ids=["pywxdump", "memotrace", "generic", "partial"],
)
def test_header_layout(header: list[str], layout: str | None) -> None:
    assert header_layout(header) == layout


def test_wrong_field_count_is_a_counted_reject(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        PYWXDUMP_HEADER
        + "1,11,文本,0,wxid_a,wxid_a,你好,,2024/10/4 11:42\n"
        + "2,12,文本,0,wxid_a\n"
        + "3,13,文本,1,wxid_me,wxid_a,在吗,,2024/10/4 11:43,extra\n"
        + "4,14,文本,1,wxid_me,wxid_a,好的,,2024/10/4 11:44\n",
        encoding="utf-8",
    )
    frame, rejects = read(path)
    assert frame["text"].to_list() == ["你好", "好的"]
    assert [(r[1], r[2]) for r in rejects] == [(3, "wrong_field_count"), (4, "wrong_field_count")]


def test_utf16_csv_reads_like_utf8(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(b"\xff\xfe" + PYWXDUMP.read_text(encoding="utf-8").encode("utf-16-le"))
    assert read(path)[0]["text"].to_list() == read(PYWXDUMP)[0]["text"].to_list()


def test_gbk_file_needs_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        (PYWXDUMP_HEADER + "1,11,文本,0,wxid_a,wxid_a,你好,,2024/10/4 11:42\n").encode("gbk")
    )
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}:2: cannot decode byte")
    assert "--encoding" in str(caught.value)
    assert read(path, encoding="gbk")[0]["text"].to_list() == ["你好"]


def test_header_without_wechat_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert not READER.sniff(path, path.read_text(encoding="utf-8"))
    with pytest.raises(InputError, match=r"x\.csv:1: not a WeChat CSV"):
        read(path)


def test_unclosed_quote_is_one_clear_error(tmp_path: Path) -> None:
    # An unclosed quote swallows the rest of the file into one field, past csv's size limit.
    path = tmp_path / "quote.csv"
    row = "1,11,文本,0,a,a,hello,,2024/10/4 11:42\n"
    path.write_text(
        PYWXDUMP_HEADER + row + '2,12,文本,0,a,a,"oops,,2024/10/4 11:43\n' + row * 5000,
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value).startswith(
        f"{path}:3: malformed CSV record (field larger than field limit"
    )
