"""Safe zip reading: hostile archives give one clear InputError, never a traceback or a bomb."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from dataprep.chat.readers.archive import read_zip_members
from dataprep.errors import InputError

MB = 1024 * 1024


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return path


def test_returns_matching_members_sorted_by_name(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "export.zip",
        {"b/chat.txt": b"two", "IMG-1.jpg": b"\xff\xd8", "a.TXT": b"one", "folder/": b""},
    )
    members = read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)
    assert members == [("a.TXT", b"one"), ("b/chat.txt", b"two")]


def test_no_matching_member_gives_empty_list(tmp_path: Path) -> None:
    path = _zip(tmp_path / "photos.zip", {"IMG-1.jpg": b"\xff\xd8"})
    assert read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.txt", "'..' path component"),
        ("chats/../../evil.txt", "'..' path component"),
        ("..\\evil.txt", "'..' path component"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
    ],
    ids=["dotdot", "nested-dotdot", "backslash-dotdot", "absolute", "drive-letter"],
)
def test_hostile_member_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    path = _zip(tmp_path / "hostile.zip", {"chat.txt": b"fine", name: b"evil"})
    with pytest.raises(InputError) as caught:
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)
    text = str(caught.value)
    assert message in text
    assert str(path) in text and repr(name) in text
    assert "\n" not in text


def test_hostile_name_refused_even_when_suffix_does_not_match(tmp_path: Path) -> None:
    path = _zip(tmp_path / "hostile.zip", {"chat.txt": b"fine", "../evil.jpg": b"x"})
    with pytest.raises(InputError, match="path component"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("chat.txt", date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)


def test_zip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    """200 MB of zeros compress to ~200 KB; with a 1 MB limit it must be refused by size."""
    path = tmp_path / "bomb.zip"
    zeros = bytes(MB)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("chat.txt", "w") as member,
    ):
        for _ in range(200):
            member.write(zeros)
    assert path.stat().st_size < 2 * MB
    # The declared ratio (about 1000:1) refuses it before a byte is inflated.
    with pytest.raises(InputError, match=r"declares 209,715,200 bytes .* likely zip bomb"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=MB)


def _patch_declared_size(path: Path, size: int) -> None:
    """Make both zip headers lie: declare ``size`` bytes uncompressed for the first member."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, size)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def test_member_lying_about_its_size_is_not_inflated(tmp_path: Path) -> None:
    """Declared 10 bytes, really 5 MB: reading stops early and the archive is reported corrupt."""
    path = _zip(tmp_path / "liar.zip", {"chat.txt": bytes(5 * MB)})
    _patch_declared_size(path, 10)
    with pytest.raises(InputError, match=r"zip member 'chat.txt' is (corrupt|larger)"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=MB)


def test_actual_size_over_the_limit_is_caught_while_reading(tmp_path: Path) -> None:
    """Declared size under the limit, but the limit is the real check: read stops at it."""
    path = _zip(tmp_path / "big.zip", {"chat.txt": b"x" * 2000})
    members = read_zip_members(path, suffixes=(".txt",), max_member_bytes=2000)
    assert members == [("chat.txt", b"x" * 2000)]
    with pytest.raises(InputError, match="larger than the limit of 1,999 bytes"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1999)


@pytest.mark.parametrize(
    "content",
    [b"this is not a zip file", b"", b"PK\x03\x04" + bytes(40)],
    ids=["text", "empty", "truncated-header"],
)
def test_not_a_zip_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(content)
    with pytest.raises(InputError, match="not a readable zip file") as caught:
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)
    assert str(path) in str(caught.value)


def test_corrupt_member_data_is_a_clear_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "corrupt.zip", {"chat.txt": b"hello world " * 100})
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x03\x04") + 30 + len("chat.txt")
    for offset in range(start + 2, start + 12):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"zip member 'chat\.txt' is corrupt"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=10_000)


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "secret.zip", {"chat.txt": b"hi"}, method=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit in both headers, as a password-protected zip has it.
    local = data.find(b"PK\x03\x04")
    data[local + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"zip member 'chat\.txt' is encrypted"):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_zip_members(tmp_path / "absent.zip", suffixes=(".txt",), max_member_bytes=1000)


def test_many_members_under_the_limit_are_capped_together(tmp_path: Path) -> None:
    """Five 1,000-byte members with a 1,000-byte limit: the fifth passes the 4x total cap."""
    members = {f"day{i}.txt": b"x" * 1000 for i in range(5)}
    path = _zip(tmp_path / "many.zip", members)
    with pytest.raises(
        InputError, match=r"'day4\.txt' is larger than what is left \(0 bytes\) of the 4,000-byte"
    ):
        read_zip_members(path, suffixes=(".txt",), max_member_bytes=1000)
    assert len(read_zip_members(path, suffixes=(".txt",), max_member_bytes=1250)) == 5
