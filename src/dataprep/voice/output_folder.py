"""The output folder of ``dataprep voice`` belongs to the run that writes it.

A run refuses a folder holding files that no voice run wrote (it would otherwise mix a
user's files with clips, or delete them). After a successful run every file in the clip and
format folders that the run did not write is removed (stale clips of an earlier run with
other settings); after a failed run every folder the run created is removed again, so only
the cache (``.dataprep-cache``, reused by the next run) may remain.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from dataprep.errors import OutputError
from dataprep.voice.writers import CLIPS_FOLDER, FORMAT_FOLDERS

__all__ = ["CACHE_FOLDER", "OWNED_FOLDERS", "claim_output", "prune_stale", "remove_new_folders"]

CACHE_FOLDER = ".dataprep-cache"
#: Folders whose whole content a run owns (clips and every format's dataset root).
OWNED_FOLDERS = (CLIPS_FOLDER, *FORMAT_FOLDERS.values())
#: Files a voice run writes at the top of the folder; older versions also wrote the lists
#: there (metadata.csv, manifest.jsonl, <speaker>.list).
_OWN_FILES = ("report.json", "clips.jsonl", "metadata.csv", "manifest.jsonl")


def _written_by_voice(out: Path) -> bool:
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and report.get("recipe", {}).get("name") == "voice"


def claim_output(out: Path) -> set[Path]:
    """Check that ``out`` is empty or an earlier voice output; create it and ``wavs/``.

    Returns the folders that existed before, so a failed run can remove the new ones.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder", hint="Choose another --out")
    before = existing_folders(out)
    if out.is_dir():
        foreign = [p.name for p in out.iterdir() if p.name != CACHE_FOLDER]
        if foreign and not _written_by_voice(out):
            raise OutputError(
                f"{out}: holds files that dataprep voice did not write ({', '.join(sorted(foreign)[:3])})",
                hint="Choose an empty or new --out folder",
            )
    try:
        (out / CLIPS_FOLDER).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{out}: cannot create the output folder ({error.strerror})") from None
    return before


def existing_folders(out: Path) -> set[Path]:
    """``out``, its ancestors that exist, and every folder under it."""
    found = {p for p in (out, *out.parents) if p.is_dir()}
    if out.is_dir():
        found |= {Path(root) for root, _, _ in os.walk(out)}
    return found


def remove_new_folders(out: Path, before: set[Path]) -> None:
    """After a failed run: remove the empty folders the run created (deepest first)."""
    created = existing_folders(out) - before
    for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def prune_stale(out: Path, written: Iterable[Path]) -> list[Path]:
    """After a successful run: remove files in the owned folders (and the old top-level
    lists) that this run did not write, then empty folders. Returns the removed files."""
    keep = {Path(p).absolute() for p in written}
    removed: list[Path] = []
    candidates = [p for p in out.glob("*.list") if p.is_file()]
    candidates += [out / name for name in _OWN_FILES if (out / name).is_file()]
    for name in OWNED_FOLDERS:
        folder = out / name
        if folder.is_dir():
            candidates += [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()]
    for path in candidates:
        if path.absolute() not in keep and path.name != "report.json":
            path.unlink()
            removed.append(path)
    for name in OWNED_FOLDERS:
        folder = out / name
        if not folder.is_dir():
            continue
        subfolders = sorted((Path(r) for r, _, _ in os.walk(folder)), key=lambda p: -len(p.parts))
        for sub in subfolders:
            if sub != out / CLIPS_FOLDER:
                with contextlib.suppress(OSError):
                    sub.rmdir()
    return removed
