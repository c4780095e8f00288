"""Which files make up a dataset: text splits (one file or a folder) or a voice output folder.

Every reader of a file goes through ``read_path``, so the run hooks can point the report at
outputs that are still staged (temporary files renamed only when the run commits).
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprep.errors import InputError
from dataprep.io import SPLITS
from dataprep.shards import shard_prefix_of

__all__ = ["SplitFile", "TextDataset", "dataset_files", "find_run_report", "locate_text_dataset"]

#: Companion files that are never dataset rows.
_COMPANION_TAGS = (".sources.jsonl", ".report.json", ".provenance.jsonl", ".rejects.jsonl")
#: Split names a file name may carry: dataprep's own, and the usual other spellings.
_SPLIT_NAMES = (*SPLITS, "validation", "valid", "dev", "eval")

Resolver = Callable[[Path], Path]


def _identity(path: Path) -> Path:
    return path


@dataclass
class SplitFile:
    """One split: its name, where it lives (or will live), and where to read it now."""

    name: str
    path: Path
    read_path: Path
    sidecar: Path | None = None


@dataclass
class TextDataset:
    root: Path
    splits: list[SplitFile]


def split_name(path: Path) -> str:
    """``train.jsonl`` -> train; ``chats.val.jsonl`` -> val; ``chats.jsonl`` -> train;
    shards: ``val-00000-of-00002.jsonl`` and ``chats-val-00000-of-00002.jsonl`` -> val.

    A file without a split name is the train split, as ``--out`` names it (see
    ``io.split_output_paths`` and ``dataprep.shards``).
    """
    prefix = shard_prefix_of(path)
    if prefix is not None:
        last = prefix.rsplit("-", 1)[-1]
        return last if last in _SPLIT_NAMES else "train"
    parts = path.name.split(".")
    for part in reversed(parts[:-1]):
        if part in _SPLIT_NAMES:
            return part
    return "train"


def split_names(files: list[Path]) -> list[str]:
    """Split names of ``files``; file stems when two files would get the same name, unless
    they are shards of one split (``train-00000-of-00002.jsonl``, ``train-00001-of-...``)."""
    names = [split_name(path) for path in files]
    prefixes: dict[str, set[str | None]] = {}
    for path, name in zip(files, names, strict=True):
        prefixes.setdefault(name, set()).add(shard_prefix_of(path))
    shared = [name for name in set(names) if names.count(name) > 1]
    if any(None in prefixes[name] or len(prefixes[name]) > 1 for name in shared):
        return [path.name.rsplit(".", 1)[0] for path in files]
    return names


def is_dataset_file(path: Path, rejects: Path | None = None) -> bool:
    name = path.name
    if not name.endswith((".jsonl", ".json")) or name.endswith(_COMPANION_TAGS):
        return False
    if name.startswith("rejects") or (rejects is not None and path == rejects):
        return False
    return name not in ("report.json", "clips.jsonl", "manifest.jsonl")


def dataset_files(paths: list[Path], rejects: Path | None = None) -> list[Path]:
    """``paths`` with each folder, and each glob pattern that names no file
    (``'out/train-*.jsonl'``, quoted), replaced by the dataset files it holds or matches,
    sorted: a sharded output's shards, a run's split files; never sidecars, reports or
    rejects. A pattern that matches no dataset file is an input error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(path.iterdir())
        elif not path.exists() and any(char in str(path) for char in "*?["):
            candidates = sorted(Path(p) for p in glob.glob(str(path)))
            if not any(is_dataset_file(p, rejects) for p in candidates):
                raise InputError("no dataset file matches this pattern", path=path)
        else:
            found.append(path)
            continue
        found += [
            p
            for p in candidates
            if p.is_file() and is_dataset_file(p, rejects) and not looks_like_rejects(p)
        ]
    return found


def looks_like_rejects(path: Path) -> bool:
    """A ``--rejects`` file under any name: its rows carry ``stage`` and ``reason``."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
        row = json.loads(first) if first.strip() else None
    except (OSError, ValueError):
        return False
    return isinstance(row, dict) and "stage" in row and "reason" in row


def locate_text_dataset(
    paths: list[Path], resolve: Resolver = _identity, rejects: Path | None = None
) -> TextDataset:
    """The split files among ``paths`` (files, or one folder holding them)."""
    files = [path for path in dataset_files(paths, rejects) if is_dataset_file(path, rejects)]
    if not files:
        raise InputError(
            "no dataset file found",
            path=paths[0] if paths else None,
            hint="Pass a JSONL file or a folder holding train/val/test JSONL files",
        )
    root = paths[0] if paths[0].is_dir() else paths[0].parent
    splits = []
    for path, name in zip(files, split_names(files), strict=True):
        sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".sources.jsonl")
        readable_sidecar = resolve(sidecar)
        splits.append(
            SplitFile(
                name,
                path,
                resolve(path),
                readable_sidecar if readable_sidecar.exists() else None,
            )
        )
    return TextDataset(root, splits)


def find_run_report(path: Path) -> dict[str, Any] | None:
    """The JSON run report that came with a dataset, when it sits beside it."""
    candidates = (
        [path / "report.json", *sorted(path.glob("*.report.json"))]
        if path.is_dir()
        else [path.with_name(path.name.rsplit(".", 1)[0] + ".report.json")]
    )
    for candidate in candidates:
        if candidate.is_file():
            try:
                report = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(report, dict) and ("stages" in report or "command" in report):
                return report
    return None
