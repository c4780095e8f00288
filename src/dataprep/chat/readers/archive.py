"""Safe reading of the ``.zip`` files phones and chat apps export.

Members are read into memory, never extracted to disk, and only up to a size limit: a zip
bomb stops at ``max_member_bytes`` instead of being inflated. Hostile member names (absolute
paths, ``..`` components, symlinks) make the whole archive an error, because no real export
contains them.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path

from dataprep.errors import InputError

__all__ = ["check_member", "read_zip_members"]

_CHUNK = 1024 * 1024
#: Chat text deflates about 3-10x; a member declaring far more is a bomb. Small members may
#: compress better (a run of one character) and are bounded by their size anyway.
MAX_RATIO = 100
_RATIO_FLOOR = 8 * 1024 * 1024
#: Only these methods stream with a bounded output per read; zipfile inflates a whole
#: bzip2/lzma chunk at once, which a few KB can turn into gigabytes. No export uses them.
SAFE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: Many members each under the limit are a bomb too: the members returned together may hold
#: at most this many times ``max_member_bytes``.
TOTAL_FACTOR = 4


def _check_name(path: Path, info: zipfile.ZipInfo) -> None:
    """Raise for a member name or type no honest export produces."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise InputError(
            f"zip member {name!r} has an absolute path; refusing the archive", path=path
        )
    if ".." in parts:
        raise InputError(
            f"zip member {name!r} has a '..' path component; refusing the archive", path=path
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InputError(f"zip member {name!r} is a symbolic link; refusing the archive", path=path)


def check_member(path: Path, info: zipfile.ZipInfo) -> None:
    """Refuse a member before inflating it: encrypted, an unsafe method, a bomb's ratio."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"zip member {name!r} is encrypted", path=path)
    if info.compress_type not in SAFE_METHODS:
        raise InputError(
            f"zip member {name!r} uses compression method {info.compress_type}, which chat "
            "exports do not use (only stored and deflate are read)",
            path=path,
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
        raise InputError(
            f"zip member {name!r} declares {info.file_size:,} bytes from {info.compress_size:,} "
            f"compressed (ratio {ratio:,.0f}:1, the limit is {MAX_RATIO}:1); refusing a likely zip bomb",
            path=path,
        )


def _read_limited(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limit: int, limit_text: str
) -> bytes:
    """Inflate one member in chunks, stopping as soon as it passes ``limit`` bytes."""
    too_big = f"zip member {info.filename!r} is larger than {limit_text}"
    if info.file_size > limit:
        raise InputError(too_big + f" (declares {info.file_size:,})", path=path)
    chunks: list[bytes] = []
    total = 0
    with archive.open(info) as member:
        while True:
            chunk = member.read(min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise InputError(too_big, path=path)
            chunks.append(chunk)
    return b"".join(chunks)


def read_zip_members(
    path: Path, *, suffixes: tuple[str, ...], max_member_bytes: int
) -> list[tuple[str, bytes]]:
    """Return ``(name, bytes)`` for the members whose names end with one of ``suffixes``.

    Members come sorted by name. Every problem is an ``InputError`` naming the zip and the
    member: a hostile name, a symlink, an encrypted or oversized member, a corrupt archive.
    Together the returned members may hold at most ``TOTAL_FACTOR * max_member_bytes``.
    """
    path = Path(path)
    lowered = tuple(s.lower() for s in suffixes)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise InputError(f"not a readable zip file ({error})", path=path) from None
    members: list[tuple[str, bytes]] = []
    budget = TOTAL_FACTOR * max_member_bytes
    with archive:
        infos = sorted(archive.infolist(), key=lambda info: info.filename)
        for info in infos:
            _check_name(path, info)
        for info in infos:
            if info.is_dir() or not info.filename.lower().endswith(lowered):
                continue
            check_member(path, info)
            limit, limit_text = (
                max_member_bytes,
                f"the limit of {max_member_bytes:,} bytes uncompressed",
            )
            if budget < max_member_bytes:
                limit = budget
                limit_text = (
                    f"what is left ({budget:,} bytes) of the {TOTAL_FACTOR * max_member_bytes:,}-byte "
                    "limit for all members together"
                )
            try:
                data = _read_limited(archive, info, path, limit, limit_text)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                raise InputError(
                    f"zip member {info.filename!r} is corrupt ({error})", path=path
                ) from None
            except NotImplementedError as error:
                raise InputError(
                    f"zip member {info.filename!r} uses an unsupported compression ({error})",
                    path=path,
                ) from None
            budget -= len(data)
            members.append((info.filename, data))
    return members
