"""A disk spool for stages that must see every row before emitting any.

Dedupe and split keep only small per-row keys in memory; the rows themselves wait in
Arrow IPC files in a private folder inside the output's staging area (under ``--cache-dir``
when given), so memory stays bounded on files with millions of rows and no raw row outlives
the run: the folder goes with the staging area on every exit, and a killed run's is removed
by the next run.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from dataprep.outputs import fault

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = ["Spool", "run_spool"]


def run_spool(ctx: RunContext) -> Spool:
    """A new spool for one stage of this run: the one place that decides where spools live
    (a folder in the output's staging area, ``ctx.spool_dir()``)."""
    return Spool(ctx.spool_dir())


class Spool:
    """Batches written to disk in order and read back in the same order."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="dataprep-spool-", dir=folder))
        self._files: list[Path] = []
        self.rows = 0

    def add(self, batch: pl.DataFrame) -> None:
        fault("spool-add")
        path = self._dir / f"{len(self._files):06d}.arrow"
        batch.write_ipc(path, compression="lz4")
        self._files.append(path)
        self.rows += batch.height

    def __iter__(self) -> Iterator[pl.DataFrame]:
        for path in self._files:
            yield pl.read_ipc(path)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
        self._files.clear()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
