"""The two-pass chunked WhatsApp parse gives the rows, rejects and date order of the
whole-file parse, at any chunk size, on every WhatsApp export the project holds."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.whatsapp import WhatsAppReader, parse_whatsapp
from dataprep.chat.readers.whatsapp_stream import line_frames, stream_whatsapp, text_blocks
from dataprep.errors import InputError
from tests.conftest import FIXTURES

EXPORTS = sorted(
    {
        *FIXTURES.glob("chat/whatsapp/*.txt"),
        *FIXTURES.glob("chat_real/whatsapp/**/*.txt"),
        *FIXTURES.glob("chat_real/constructed/**/*whatsapp*.txt"),
    }
)


def _pieces(text: str, size: int):
    return lambda: (text[i : i + size] for i in range(0, len(text), size))


def _streamed(text: str, piece: int, chunk: int, **options):
    rejects: list[tuple] = []
    decided, frames = stream_whatsapp(
        _pieces(text, piece),
        "chat.txt",
        reject=lambda *r: rejects.append(r),
        chunk_chars=chunk,
        **options,
    )
    return pl.concat(list(frames)), decided, rejects


def test_the_corpus_is_there() -> None:
    assert len(EXPORTS) >= 20


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.name)
@pytest.mark.parametrize(("piece", "chunk"), [(1, 1), (7, 40), (4096, 300), (10**9, 10**9)])
def test_chunks_give_the_whole_file_rows(path: Path, piece: int, chunk: int) -> None:
    text = path.read_text(encoding="utf-8-sig")
    whole_rejects: list[tuple] = []
    try:
        whole, found = parse_whatsapp(text, "chat.txt", reject=lambda *r: whole_rejects.append(r))
    except InputError as error:
        with pytest.raises(InputError, match=str(error.args[0])[:20]):
            _streamed(text, piece, chunk)
        return
    streamed, decided, rejects = _streamed(text, piece, chunk)
    assert streamed.equals(whole)
    assert rejects == whole_rejects
    assert (decided.order, decided.order_source) == (found.date_order, found.date_order_source)


def test_recurring_names_and_known_authors_come_from_the_whole_file() -> None:
    """An author known only from the last line still resolves an ambiguous first line, and a
    saved contact "Work: Bob" recurs across chunks."""
    lines = [
        "01/02/2024, 10:00 - Ana: note: buy milk",
        *(f"01/02/2024, 10:{i:02d} - Work: Bob: reply {i}" for i in range(1, 5)),
        "01/02/2024, 11:00 - Ana: hello",
    ]
    text = "\n".join(lines) + "\n"
    whole = parse_whatsapp(text, "chat.txt")[0]
    assert whole["speaker"].to_list()[:2] == ["Ana", "Work: Bob"]
    streamed, _, _ = _streamed(text, 5, 1)
    assert streamed.equals(whole)


def test_the_day_order_is_decided_by_a_date_in_a_later_chunk() -> None:
    lines = [f"0{m}/0{m}/24, 10:00 - Ana: m{m}" for m in range(1, 10)] + [
        "25/01/24, 10:00 - Ana: x"
    ]
    streamed, decided, _ = _streamed("\n".join(lines) + "\n", 10, 1)
    assert decided.order == "dmy" and decided.order_source == "inferred"
    assert streamed.equals(parse_whatsapp("\n".join(lines) + "\n", "chat.txt")[0])


def test_text_blocks_decode_utf16_and_name_the_line_of_a_bad_byte(tmp_path: Path) -> None:
    text = "01/02/2024, 10:00 - Ana: héllo\n" * 3
    path = tmp_path / "chat.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert "".join(text_blocks(path, None)) == text
    path.write_bytes(text.encode() + b"01/02/2024, 10:01 - Ana: \xff\n")
    with pytest.raises(InputError, match="0xff") as caught:
        "".join(text_blocks(path, None))
    assert caught.value.line == 4


def test_line_frames_number_lines_across_chunks() -> None:
    frames = list(line_frames(["a\nb", "\nc\r\n", "d"], chunk_chars=2))
    joined = pl.concat(frames)
    assert joined["raw"].to_list() == ["a", "b", "c", "d"]
    assert joined["line"].to_list() == [1, 2, 3, 4]


def test_the_reader_streams_a_big_file_in_bounded_frames(tmp_path: Path, monkeypatch) -> None:
    import dataprep.chat.readers.whatsapp_stream as stream

    source = FIXTURES / "chat/whatsapp/android_dmy_24h_colin.txt"
    path = tmp_path / "chat.txt"
    path.write_text(source.read_text(encoding="utf-8") * 40, encoding="utf-8")
    whole = pl.concat(list(WhatsAppReader().read(path, ReaderOptions(), lambda *r: None)))
    monkeypatch.setattr(stream, "CHUNK_CHARS", 300)
    monkeypatch.setattr(stream, "STREAM_ABOVE_BYTES", 0)
    frames = list(WhatsAppReader().read(path, ReaderOptions(), lambda *r: None))
    assert len(frames) > 3 and max(f.height for f in frames) < whole.height / 3
    assert pl.concat(frames).equals(whole)


def _counted_pieces(text: str, calls: list[int]):
    def blocks():
        calls.append(1)
        return iter([text])

    return blocks


@pytest.mark.parametrize(
    "consume", ["all", "one", "none"], ids=["exhausted", "closed", "unstarted"]
)
def test_the_file_is_read_once_and_the_spool_goes_with_the_frames(
    tmp_path: Path, consume: str
) -> None:
    """Pass 2 reads pass 1's spooled chunks, not the file again; the spool folder is gone
    once the frames are exhausted, closed early, or dropped without being started."""
    import gc

    text = "".join(f"01/02/2024, 10:{i % 60:02d} - Ana: message {i}\n" for i in range(200))
    calls: list[int] = []
    _, frames = stream_whatsapp(
        _counted_pieces(text, calls), "chat.txt", chunk_chars=500, spool_dir=tmp_path
    )
    assert len(list(tmp_path.iterdir())) == 1  # the spool, written by pass 1
    if consume == "all":
        rows = pl.concat(list(frames))
        assert rows.equals(parse_whatsapp(text, "chat.txt")[0])
    elif consume == "one":
        next(frames)
        frames.close()
    del frames
    gc.collect()
    assert calls == [1]
    assert list(tmp_path.iterdir()) == []


def test_a_file_without_headers_leaves_no_spool(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no WhatsApp message header"):
        stream_whatsapp(lambda: iter(["just text\nmore text\n"]), "chat.txt", spool_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_chat_stage_spools_the_reader_in_the_run_staging_area(
    tmp_path: Path, monkeypatch
) -> None:
    """A streamed export's spool lives in the run's spool folder, not the system's temp."""
    import dataprep.chat.readers.whatsapp_stream as stream

    seen: list[Path | None] = []
    original = stream.stream_whatsapp

    def recording(*args, **kwargs):
        seen.append(kwargs.get("spool_dir"))
        return original(*args, **kwargs)

    monkeypatch.setattr(stream, "stream_whatsapp", recording)
    monkeypatch.setattr(stream, "STREAM_ABOVE_BYTES", 0)
    source = FIXTURES / "chat/whatsapp/android_dmy_24h_colin.txt"
    path = tmp_path / "chat.txt"
    path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out" / "train.jsonl"
    from click.testing import CliRunner

    from dataprep.cli import cli

    result = CliRunner().invoke(
        cli, ["chat", str(path), "--me", "Colin", "--no-pii", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and seen[0] is not None
    assert (tmp_path / "out") in seen[0].parents
    assert not seen[0].exists()  # removed with the staging area
