"""The one commit protocol of every command: stage, journal, publish as a set, recover.

A run writes every output (data, splits, sidecars, report, rejects, clips) into a staging
folder ``.dataprep-staging-*`` inside the output folder, on the same file system, and keeps
its spool files there too. Publishing is:

1. each existing target is hard-linked into ``old/`` (its backup);
2. ``journal.json`` (target, staged file, backup per entry) is written and fsynced: from
   here on the new set is the decided one;
3. every staged file is renamed onto its target, and every file the set removes (an
   earlier run's shard that the new run does not replace) is unlinked;
4. the journal is removed, then the staging folder.

An error during step 3 puts the backups back (the whole old set); a signal that Python sees
is held until step 4 is over (the whole new set); a kill leaves the journal, and the next
run that writes into the folder rolls it forward before it does anything else
(``recover``). A staging folder without a journal belongs to a run that never reached
step 2 and is removed. A live run holds an ``flock`` on its staging folder, so a
concurrent run never touches another's staging folder.

``DATAPREP_FAULT=STEP:ACTION`` injects a failure for tests (steps ``staged``, ``journal``,
``rename-N``, ``renamed``, ``cleanup``; actions ``raise``, ``eacces``, ``sigint``,
``sigterm``, ``sigkill``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dataprep.errors import OutputError

__all__ = [
    "STAGING_PREFIX",
    "OutputSet",
    "atomic_write",
    "fault",
    "recover",
    "signals_held",
    "staging_leftovers",
]

STAGING_PREFIX = ".dataprep-staging-"
_JOURNAL = "journal.json"
_LOCK = "lock"
_OWNER = "owner"
#: A staging folder without a lock file younger than this may still be being created.
_CREATION_GRACE_SECONDS = 60.0


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Outputs get the usual file permissions (mkstemp would make them owner-only).
_FILE_MODE = 0o666 & ~_current_umask()


def fault(step: str) -> None:
    """Fault injection for the commit tests: ``DATAPREP_FAULT=rename-2:sigkill``."""
    spec = os.environ.get("DATAPREP_FAULT")
    if not spec or ":" not in spec:
        return
    where, action = spec.rsplit(":", 1)
    if where != step:
        return
    if action == "raise":
        raise OSError(errno.EIO, "injected fault", step)
    if action == "eacces":
        raise PermissionError(errno.EACCES, "Permission denied", step)
    if action == "enospc":
        raise OSError(errno.ENOSPC, "No space left on device", step)
    signals = {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}
    if action in signals:
        os.kill(os.getpid(), signals[action])
        time.sleep(0.5)  # let the signal arrive before the next step


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_error(path: Path, action: str, error: OSError) -> OutputError:
    reason = error.strerror or type(error).__name__
    return OutputError(f"{path}: cannot {action} ({reason})")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while the set is published (or a stopped run cleans up);
    deliver them afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.getsignal(sig) for sig in held}
    for sig in held:
        signal.signal(sig, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for number in caught[:1]:
            os.kill(os.getpid(), number)


def _write_journal(area: Path, entries: list[dict[str, str | None]]) -> None:
    tmp = area / (_JOURNAL + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "entries": entries}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, area / _JOURNAL)
    _fsync_dir(area)


def _roll_back(entries: list[dict[str, str | None]], renamed: int) -> None:
    """Undo the first ``renamed`` renames: backups back in place, new files removed."""
    for entry in reversed(entries[:renamed]):
        target = Path(str(entry["target"]))
        if entry["backup"] is not None:
            os.replace(str(entry["backup"]), target)
        else:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()


class _RestoreFailedError(OutputError):
    """Neither the new nor the old set could be completed; the journal stays for a retry."""


def _publish(entries: list[dict[str, str | None]]) -> None:
    """Rename every staged file (skipping those already renamed); on an error, back to the old set."""
    done = 0
    try:
        for number, entry in enumerate(entries, start=1):
            fault(f"rename-{number}")
            if entry["staged"] is None:  # a file the new set removes (a stale shard)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(str(entry["target"]))
            elif os.path.lexists(str(entry["staged"])):
                os.replace(str(entry["staged"]), str(entry["target"]))
            done = number
    except OSError as error:
        target = Path(str(entries[done]["target"]))
        try:
            _roll_back(entries, done)
        except OSError as second:
            raise _RestoreFailedError(
                f"{target}: cannot write ({error.strerror}) and cannot restore the previous "
                f"outputs ({second.strerror}); the next dataprep run in this folder retries"
            ) from None
        raise _os_error(target, "write; the previous outputs are unchanged", error) from None


def _lock(area: Path) -> int | None:
    """An exclusive lock on ``area``; ``None`` when a live run holds it."""
    try:
        fd = os.open(area / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_area(area: Path) -> None:
    shutil.rmtree(area, ignore_errors=True)


def _recover_area(area: Path) -> None:
    """Finish or drop the staging folder of a run that is gone."""
    if not (area / _LOCK).exists():
        with contextlib.suppress(OSError):
            if time.time() - area.stat().st_mtime < _CREATION_GRACE_SECONDS:
                return
    fd = _lock(area)
    if fd is None:
        return  # a live run owns it
    try:
        primary = area
        owner = area / _OWNER
        if owner.exists():
            primary = Path(owner.read_text(encoding="utf-8").strip())
        journal = primary / _JOURNAL
        if journal.exists():
            entries = json.loads(journal.read_text(encoding="utf-8"))["entries"]
            try:
                _publish(entries)
            except _RestoreFailedError:
                raise
            except OutputError:
                pass  # rolled back to the old set
            journal.unlink()
            _remove_area(primary)
        _remove_area(area)
    finally:
        os.close(fd)


def recover(directory: str | Path) -> None:
    """Restore ``directory`` after a killed run: roll a journaled commit forward, drop the rest."""
    directory = Path(directory)
    try:
        names = [entry.name for entry in os.scandir(directory)]
    except OSError:
        return
    for name in sorted(names):
        if name.startswith(STAGING_PREFIX):
            _recover_area(directory / name)


def staging_leftovers(directory: str | Path) -> list[Path]:
    """Staging folders in ``directory`` (for tests and ``--check`` style tools)."""
    return sorted(Path(directory).glob(STAGING_PREFIX + "*"))


class OutputSet:
    """Several output files committed together: all published on success, none on failure."""

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}
        #: Existing files the set removes when it is published (an earlier run's shards).
        self._removals: set[Path] = set()
        self._areas: dict[int, Path] = {}
        self._locks: list[int] = []
        self._primary: Path | None = None
        self._scratch: Path | None = None
        # Stages on their own threads open outputs and spools at the same time.
        self._lock = threading.RLock()

    # -- staging ----------------------------------------------------------------------

    def _area_for(self, directory: Path) -> Path:
        try:
            device = directory.stat().st_dev
        except OSError as error:
            raise _os_error(directory, "use the output folder", error) from None
        if device in self._areas:
            return self._areas[device]
        recover(directory)
        area = directory / f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            area.mkdir()
            (area / "new").mkdir()
            (area / "old").mkdir()
        except OSError as error:
            _remove_area(area)
            raise _os_error(directory, "write in the output folder", error) from None
        fd = _lock(area)
        if fd is not None:
            self._locks.append(fd)
        if self._primary is None:
            self._primary = area
        else:
            (area / _OWNER).write_text(str(self._primary), encoding="utf-8")
        self._areas[device] = area
        return area

    def scratch(self, near: str | Path | None = None) -> Path:
        """A private folder for spool files inside the staging area; removed with it."""
        with self._lock:
            return self._make_scratch(near)

    def _make_scratch(self, near: str | Path | None = None) -> Path:
        if self._scratch is None:
            if self._primary is None:
                self._area_for(Path(near or ".").absolute())
            assert self._primary is not None
            self._scratch = self._primary / "scratch"
            self._scratch.mkdir(exist_ok=True)
        return self._scratch

    def open(self, path: str | Path, mode: str = "w") -> IO[Any]:
        """Open the staged file standing in for ``path`` (appending if already open)."""
        with self._lock:
            return self._open(path, mode)

    def _open(self, path: str | Path, mode: str = "w") -> IO[Any]:
        target = Path(path).absolute()
        if target in self._pending:
            staged = self._pending[target]
            mode = mode.replace("w", "a")
        else:
            _check_target(target)
            area = self._area_for(target.parent)
            staged = area / "new" / f"{len(self._pending):06d}-{target.name}"
            self._pending[target] = staged
        encoding, newline = (None, None) if "b" in mode else ("utf-8", "\n")
        try:
            handle = open(staged, mode, encoding=encoding, newline=newline)  # noqa: SIM115
        except OSError as error:
            raise _os_error(target, "write", error) from None
        if "w" in mode:
            os.chmod(staged, _FILE_MODE)
        return handle

    def temp_path(self, path: str | Path) -> Path:
        """The staged path standing in for ``path``, creating it when needed."""
        with self._lock:
            return self._temp_path(path)

    def _temp_path(self, path: str | Path) -> Path:
        target = Path(path).absolute()
        if target not in self._pending:
            self.open(target).close()
        return self._pending[target]

    def rename(self, path: str | Path, new_path: str | Path) -> None:
        """Publish the staged file of ``path`` as ``new_path`` instead: for a name known only
        when the last row is written (a shard's ``-of-NNNNN``)."""
        with self._lock:
            old, new = Path(path).absolute(), Path(new_path).absolute()
            if old.parent != new.parent:
                raise ValueError(f"{new}: a staged file is renamed within its folder only")
            if new in self._pending:
                raise ValueError(f"{new}: already an output of this set")
            _check_target(new)
            self._pending[new] = self._pending.pop(old)
            self._removals.discard(new)

    def remove(self, path: str | Path) -> None:
        """Remove the existing file ``path`` when the set is published, with the new files
        (all or nothing: a failed run leaves it in place). For an earlier run's shards that
        the new set does not replace."""
        with self._lock:
            target = Path(path).absolute()
            if target in self._pending:
                raise ValueError(f"{target}: an output of this set cannot also be removed")
            self._area_for(target.parent)
            self._removals.add(target)

    def current_path(self, path: str | Path) -> Path:
        """Where ``path``'s content is now: its staged file, or the file itself when this set
        does not stage it (an output of an earlier run)."""
        target = Path(path).absolute()
        return self._pending.get(target, target)

    @property
    def targets(self) -> list[Path]:
        return sorted(self._pending)

    # -- publishing -------------------------------------------------------------------

    def commit(self) -> list[Path]:
        """Publish every staged file as one set (see the module docstring)."""
        fault("staged")
        entries = self._entries()
        done = [Path(str(e["target"])) for e in entries if e["staged"] is not None]
        if entries:
            assert self._primary is not None
            with signals_held():
                try:
                    _write_journal(self._primary, entries)
                except OSError as error:
                    folder = Path(str(entries[0]["target"])).parent
                    raise _os_error(folder, "write the commit journal", error) from None
                fault("journal")
                try:
                    _publish(entries)
                except _RestoreFailedError:
                    self._keep_for_recovery()
                    raise
                except BaseException:
                    (self._primary / _JOURNAL).unlink()
                    raise
                for directory in {Path(str(e["target"])).parent for e in entries}:
                    _fsync_dir(directory)
                fault("renamed")
                (self._primary / _JOURNAL).unlink()
        fault("cleanup")
        self._pending.clear()
        self._removals.clear()
        self._release()
        return done

    def _entries(self) -> list[dict[str, str | None]]:
        """Flush the staged files to disk and link each existing target into ``old/``."""
        entries: list[dict[str, str | None]] = []
        removals = {target: None for target in self._removals if os.path.lexists(target)}
        files: dict[Path, Path | None] = {**self._pending, **removals}
        for number, (target, staged) in enumerate(sorted(files.items())):
            _check_target(target)
            backup: str | None = None
            if staged is not None:
                _fsync_file(staged)
            if os.path.lexists(target):
                area = self._areas[target.parent.stat().st_dev]
                backup = str(area / "old" / f"{number:06d}")
                try:
                    os.link(target, backup, follow_symlinks=False)
                except OSError:
                    try:
                        shutil.copy2(target, backup, follow_symlinks=False)
                    except OSError as error:
                        raise _os_error(target, "keep a backup of the old file", error) from None
            staged_name = None if staged is None else str(staged)
            entries.append({"target": str(target), "staged": staged_name, "backup": backup})
        return entries

    def _keep_for_recovery(self) -> None:
        """Leave the staging folders (journal, backups) for the next run's ``recover``."""
        self._areas.clear()
        self._pending.clear()
        self._removals.clear()
        self._release()

    def discard(self) -> None:
        """Remove every staged file and spool; the targets are left untouched."""
        self._pending.clear()
        self._removals.clear()
        self._release()

    def _release(self) -> None:
        for area in self._areas.values():
            _remove_area(area)
        for fd in self._locks:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._areas.clear()
        self._locks.clear()
        self._primary = None
        self._scratch = None

    def __del__(self) -> None:
        # A set that was neither committed nor discarded (a library caller's bug) leaves no
        # staged data behind when it is collected.
        with contextlib.suppress(Exception):
            self._release()


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_target(target: Path) -> None:
    parent = target.parent
    if not parent.exists():
        raise OutputError(
            f"{target}: the directory {parent} does not exist",
            hint="Create it first or choose another --out",
        )
    if not parent.is_dir():
        raise OutputError(f"{target}: {parent} is not a directory")
    if target.is_dir():
        raise OutputError(
            f"{target}: a folder is in the way", hint="Move it or choose another --out"
        )


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write one file through the commit protocol: it appears whole or not at all."""
    outputs = OutputSet()
    try:
        with outputs.open(path, mode) as handle:
            yield handle
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise
