"""WeChat CSV as the common decrypt-and-export tools write it (there is no official export).

Two layouts: PyWxDump (``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime``,
Chinese type labels, the layout WeClone reads) and MemoTrace/WeChatMsg
(``localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,
NickName,Sender``, written as ``utf-8-sig``). ``is_sender``/``IsSender`` give ``is_me``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.readers import ReaderOptions, Rejecter
from dataprep.chat.readers._json_stream import TextSource, iter_lines
from dataprep.chat.readers._reader_kit import (
    MessageBatcher,
    iter_csv_records,
    parse_timestamp,
    whole_input,
)
from dataprep.errors import InputError

__all__ = ["MEMOTRACE_COLUMNS", "PYWXDUMP_COLUMNS", "READERS", "WeChatReader"]

PYWXDUMP_COLUMNS = (
    "id",
    "MsgSvrID",
    "type_name",
    "is_sender",
    "talker",
    "room_name",
    "msg",
    "src",
    "CreateTime",
)
MEMOTRACE_COLUMNS = (
    "localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime",
    "Status", "StrContent", "StrTime", "Remark", "NickName", "Sender",
)  # fmt: skip

# PyWxDump ``type_name`` labels -> (kind, English name for media placeholders).
# Unknown labels are treated as media (non-text).
_LABELS = {
    "文本": ("text", "text"),
    "引用回复": ("text", "quoted reply"),
    "图片": ("media", "image"),
    "动画表情": ("media", "sticker"),
    "语音": ("media", "voice"),
    "视频": ("media", "video"),
    "文件": ("media", "file"),
    "位置": ("media", "location"),
    "名片": ("media", "contact card"),
    "卡片式链接": ("media", "link card"),
    "分享卡片": ("media", "shared card"),
    "合并转发的聊天记录": ("media", "forwarded chat history"),
    "转账": ("media", "money transfer"),
    "红包": ("media", "red packet"),
    "小程序": ("media", "mini program"),
    "系统通知": ("system", "system notice"),
    "拍一拍": ("system", "nudge"),
    "语音通话": ("system", "voice call"),
    "视频通话": ("system", "video call"),
    "撤回消息": ("deleted", "recalled message"),
}

# MemoTrace ``Type`` codes (WeChat's own message types).
_TYPE_KINDS = {"1": "text", "10000": "system", "10002": "system", "50": "system"}
_TYPE_LABELS = {
    "3": "image",
    "34": "voice",
    "43": "video",
    "47": "sticker",
    "42": "contact card",
    "48": "location",
    "49": "link or file",
}

_RECALL = re.compile(r"撤回了一条消息")  # "recalled a message"
_XML_TAG = re.compile(r"</?[a-zA-Z_][^<>]*>")
# PyWxDump appends the quoted message to a reply: "reply\n\n[引用](time)name:quoted".
_QUOTE_TAIL = re.compile(r"\n*\[引用\]\(.*$", re.DOTALL)


def _kind_and_text(kind: str, text: str, label: str) -> tuple[str, str]:
    if kind == "system":
        text = _XML_TAG.sub("", text).strip()
        if _RECALL.search(text):
            return "deleted", text
    elif kind == "media" and not text.strip():
        text = f"<{label}>"
    return kind, text


def pywxdump_row(row: dict[str, str]) -> dict[str, Any]:
    label = row.get("type_name") or ""
    kind, name = _LABELS.get(label, ("media", label or "media"))
    text = row.get("msg") or ""
    if label == "引用回复":
        text = _QUOTE_TAIL.sub("", text)
    kind, text = _kind_and_text(kind, text, name)
    talker = row.get("talker") or None
    return {
        "conversation_key": row.get("room_name") or talker,
        "speaker": None if kind == "system" else talker,
        "speaker_id": talker,
        "is_me": _flag(row.get("is_sender")),
        "text": text,
        "time": parse_timestamp(row.get("CreateTime")),
        "kind": kind,
        "message_id": row.get("MsgSvrID") or row.get("id") or None,
    }


def memotrace_row(row: dict[str, str]) -> dict[str, Any]:
    code = (row.get("Type") or "").strip()
    kind = _TYPE_KINDS.get(code, "media")
    kind, text = _kind_and_text(
        kind, row.get("StrContent") or "", _TYPE_LABELS.get(code, f"type {code}")
    )
    sender = row.get("Sender") or None
    speaker = row.get("Remark") or row.get("NickName") or sender
    return {
        "conversation_key": row.get("TalkerId") or None,
        "speaker": None if kind == "system" else speaker,
        "speaker_id": sender,
        "is_me": _flag(row.get("IsSender")),
        "text": text,
        # StrTime is the local time as exported; CreateTime the UTC epoch.
        "time": parse_timestamp(row.get("StrTime")) or parse_timestamp(row.get("CreateTime")),
        "kind": kind,
        "message_id": row.get("localId") or None,
    }


def _flag(value: str | None) -> bool | None:
    value = (value or "").strip()
    return True if value == "1" else False if value == "0" else None


def header_layout(header: list[str]) -> str | None:
    """``"pywxdump"`` or ``"memotrace"`` when the header has that tool's key columns."""
    names = {name.strip() for name in header}
    if {"type_name", "is_sender", "talker", "msg", "CreateTime"} <= names:
        return "pywxdump"
    if {"localId", "TalkerId", "Type", "IsSender", "StrContent"} <= names:
        return "memotrace"
    return None


class WeChatReader:
    """Reads WeChat CSV exports in the PyWxDump and MemoTrace layouts."""

    name = "wechat"

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        # Old Mac exports end lines with a lone CR: split on every kind of line end.
        first_line = re.split(r"\r\n|\r|\n", head.lstrip("\ufeff"), maxsplit=1)[0]
        try:
            return header_layout(next(csv.reader([first_line]), [])) is not None
        except csv.Error:
            return False

    @whole_input
    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        records = iter_csv_records(iter_lines(TextSource(path, options.encoding)), path)
        header = next(records, (1, []))[1]
        layout = header_layout(header)
        if layout is None:
            raise InputError(
                "not a WeChat CSV: the header has neither the PyWxDump nor the MemoTrace columns",
                path=path,
                line=1,
            )
        to_row = pywxdump_row if layout == "pywxdump" else memotrace_row
        header = [name.strip() for name in header]
        source = str(path)
        batcher = MessageBatcher()
        for line, fields in records:
            if len(fields) != len(header):
                reject(source, line, "wrong_field_count", ",".join(fields)[:1000])
                continue
            row = to_row(dict(zip(header, fields, strict=True)))
            key = row.pop("conversation_key")
            conversation = source if key is None else f"{source}#{key}"
            full = batcher.add(
                conversation=conversation, chat=key, source_file=source, source_line=line, **row
            )
            if full is not None:
                yield full
        yield from batcher.drain()


READERS = [WeChatReader()]
