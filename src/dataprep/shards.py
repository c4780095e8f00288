"""Sharded split files, named as Hugging Face names them: ``train-00000-of-00003.jsonl``.

``--engine ray`` writes every split as shards of at most ``shard_rows`` rows each (the local
engine writes one file per split). Where they go follows ``--out``: its folder, and a prefix
that is the split name when the stem is ``train`` (``data/train.jsonl`` ->
``data/train-00000-of-00002.jsonl``, ``data/val-00000-of-00001.jsonl``), else the stem and
the split (``data/chats.jsonl`` -> ``data/chats-train-00000-of-00002.jsonl``). A sidecar is
sharded in step with its split: the same index and the same rows, in the same order
(``train-00000-of-00002.sources.jsonl``).

Shards are cut by row count, not by size, so the same input gives the same shards on any
cluster. The total (``-of-NNNNN``) is known only when the last row is written: shards are
staged under a provisional name and renamed in the run's output set when the writer
closes. An earlier run's shards of the same split that the new set does not replace (it had
another shard count) are removed in the same commit, so a folder never mixes two runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dataprep.errors import ConfigError
from dataprep.io import SPLITS, SplitWriter, split_output_paths
from dataprep.outputs import OutputSet

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DEFAULT_SHARD_ROWS",
    "ShardedSplitWriter",
    "is_shard",
    "joined_shards",
    "refuse_shards_as_inputs",
    "shard_listing",
    "shard_name",
    "shard_prefix",
    "shard_prefix_of",
    "split_writer",
]

#: Rows per shard when ``--shard-rows`` is not given (a round number, not a measured optimum).
DEFAULT_SHARD_ROWS = 100_000

_SHARD = re.compile(r"-\d{5,}-of-\d{5,}$")


def shard_prefix(output: str | Path, split: str) -> tuple[Path, str]:
    """The folder and name prefix of ``split``'s shards for ``--out output``."""
    output = Path(output)
    suffix = "".join(output.suffixes) or ".jsonl"
    stem = output.name[: -len(suffix)] if output.suffixes else output.name
    return output.parent, split if stem == "train" else f"{stem}-{split}"


def shard_name(prefix: str, index: int, count: int, extension: str) -> str:
    """``train``, 0, 3, ``.jsonl`` -> ``train-00000-of-00003.jsonl``."""
    return f"{prefix}-{index:05d}-of-{count:05d}{extension}"


def is_shard(path: str | Path) -> bool:
    """Whether ``path`` is named like a shard (``...-00000-of-00003.jsonl``), sidecars included."""
    return shard_prefix_of(path) is not None


def shard_prefix_of(path: str | Path) -> str | None:
    """``chats-val-00000-of-00002.jsonl`` -> ``chats-val``; None when not a shard's name."""
    stem = Path(path).name.split(".", 1)[0]
    found = _SHARD.search(stem)
    return stem[: found.start()] if found else None


class ShardedSplitWriter(SplitWriter):
    """``SplitWriter`` that cuts each split into shards of ``shard_rows`` rows (see the module
    docstring); ``close`` gives the shards their final names."""

    def __init__(
        self, outputs: OutputSet, output: str | Path, shard_rows: int, tag: str | None = None
    ) -> None:
        super().__init__(outputs, output, tag)
        if shard_rows < 1:
            raise ValueError("shard_rows must be at least 1")
        self.shard_rows = shard_rows
        suffix = "".join(self.output.suffixes) or ".jsonl"
        self.extension = f".{tag}" if tag else suffix
        #: Provisional targets of each split's shards, in order; rows in the last one.
        self._shards: dict[str, list[Path]] = {}
        self._filled: dict[str, int] = {}

    def path(self, split: str) -> Path:
        raise TypeError("a sharded split has no single path; see ShardedSplitWriter.files")

    def _new_shard(self, split: str) -> Path:
        folder, prefix = shard_prefix(self.output, split)
        shards = self._shards.setdefault(split, [])
        # Never published under this name: ``close`` renames it.
        shard = folder / f".{prefix}-{len(shards):05d}-of-pending{self.extension}"
        self.outputs.open(shard, "a").close()
        shards.append(shard)
        self._filled[split] = 0
        return shard

    def _room(self, split: str) -> tuple[Path, int]:
        """The shard the next rows of ``split`` go to, and how many rows it still takes."""
        if split not in self._shards or self._filled[split] >= self.shard_rows:
            self._new_shard(split)
        return self._shards[split][-1], self.shard_rows - self._filled[split]

    def touch(self, *splits: str) -> None:
        for split in splits:
            if split not in self._shards:
                self._new_shard(split)

    def write_frame(self, split: str, rows: pl.DataFrame) -> None:
        offset = 0
        while offset < rows.height:
            shard, room = self._room(split)
            part = rows.slice(offset, room)
            with self.outputs.open(shard, "a") as handle:
                part.write_ndjson(handle)
            self._filled[split] += part.height
            offset += part.height
        self.counts[split] = self.counts.get(split, 0) + rows.height

    def write_lines(self, split: str, lines: Iterable[str]) -> None:
        handle: IO[Any] | None = None
        try:
            for line in lines:
                if handle is None or self._filled[split] >= self.shard_rows:
                    if handle is not None:
                        handle.close()
                    handle = self.outputs.open(self._room(split)[0], "a")
                handle.write(line + "\n")
                self._filled[split] += 1
                self.counts[split] = self.counts.get(split, 0) + 1
        finally:
            if handle is not None:
                handle.close()

    def close(self) -> None:
        """Name every shard ``-of-`` its split's count; mark an earlier run's other shards of
        these splits for removal in the same commit."""
        for split, shards in self._shards.items():
            folder, prefix = shard_prefix(self.output, split)
            names = [shard_name(prefix, i, len(shards), self.extension) for i in range(len(shards))]
            for shard, name in zip(shards, names, strict=True):
                self.outputs.rename(shard, folder / name)
            self.files[split] = [folder / name for name in names]
            for stale in _shards_in(folder, prefix, self.extension):
                if stale.name not in names:
                    self.outputs.remove(stale)


def _shards_in(folder: Path, prefix: str, extension: str) -> list[Path]:
    """Files in ``folder`` named like shards of ``prefix`` with ``extension``."""
    pattern = re.compile(rf"{re.escape(prefix)}-\d{{5,}}-of-\d{{5,}}{re.escape(extension)}")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / name for name in names if pattern.fullmatch(name))


def split_writer(
    outputs: OutputSet, output: str | Path, shard_rows: int | None, tag: str | None = None
) -> SplitWriter:
    """One file per split (``shard_rows`` None), or shards of ``shard_rows`` rows each."""
    if shard_rows is None:
        return SplitWriter(outputs, output, tag)
    return ShardedSplitWriter(outputs, output, shard_rows, tag)


def shard_listing(writer: SplitWriter) -> dict[str, list[str]]:
    """The shard file names of each split, for the run report."""
    return {split: [path.name for path in paths] for split, paths in writer.files.items()}


def refuse_shards_as_inputs(inputs: list[Path], output: str | Path) -> None:
    """A ConfigError when an input file is one of the shards (or sidecar shards) a sharded
    run into ``output`` would replace or remove: outputs never go onto an input."""
    for path in inputs:
        prefix = shard_prefix_of(path)
        if prefix is None or path.is_dir():
            continue
        for split in SPLITS:
            folder, own = shard_prefix(output, split)
            if prefix == own and path.absolute().parent == folder.absolute():
                raise ConfigError(
                    f"{path}: this input is a shard of --out {output}; the run would replace it",
                    hint="Choose another --out folder",
                )


def joined_shards(folder: str | Path) -> dict[str, bytes]:
    """The shards in ``folder`` joined in index order, by the name of the single file the
    local engine writes for them: ``train-0000N-of-00002.jsonl`` -> ``train.jsonl``,
    ``chats-val-...`` -> ``chats.val.jsonl``, ``train-...sources.jsonl`` ->
    ``train.sources.jsonl``. Other files are left out."""
    joined: dict[str, bytes] = {}
    for path in sorted(Path(folder).iterdir()):
        prefix = shard_prefix_of(path)
        if prefix is None or not path.is_file():
            continue
        extension = "." + path.name.split(".", 1)[1]
        stem, _, split = prefix.rpartition("-")
        single = split_output_paths(f"{stem or 'train'}{extension}", [split])[split]
        joined[single.name] = joined.get(single.name, b"") + path.read_bytes()
    return joined
