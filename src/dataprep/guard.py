"""Refuse output paths that would destroy an input or another output, before reading anything.

Every command lists what it reads and what it writes (data, splits, sidecars, report,
rejects, cache) and calls ``check_paths`` first. Paths are compared by file identity
(device and inode, so links and ``./x`` vs ``x`` match) when they exist, and by their
resolved path otherwise. ``prepare_outputs`` then restores each output folder after a
killed run (``dataprep.outputs.recover``) before the command does anything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from dataprep.errors import ConfigError
from dataprep.outputs import recover

__all__ = ["Labelled", "check_paths", "prepare_outputs"]

#: ``(label, path)``: the label names the option in the error (``--rejects``, ``an input``).
Labelled = tuple[str, Path | None]


def _identity(path: Path) -> tuple[object, ...]:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return ("path", _resolved(path))
    return ("inode", info.st_dev, info.st_ino)


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve(strict=False))
    except (OSError, RuntimeError):  # a symlink loop
        return str(path.absolute())


def _inside(child: Path, folder: Path) -> bool:
    child_text, folder_text = _resolved(child), _resolved(folder)
    return child_text != folder_text and child_text.startswith(folder_text.rstrip("/") + "/")


def _present(items: Iterable[Labelled]) -> list[tuple[str, Path]]:
    return [(label, Path(path)) for label, path in items if path is not None]


def check_paths(
    inputs: Sequence[Labelled],
    outputs: Sequence[Labelled],
    *,
    output_folder: Path | None = None,
) -> None:
    """Raise ``ConfigError`` when an output is an input, another output, or a folder.

    ``output_folder`` (voice) is a folder the run fills: it must not be an input folder,
    hold an input, or sit inside an input folder the run reads.
    """
    ins, outs = _present(inputs), _present(outputs)
    seen: dict[tuple[object, ...], str] = {}
    input_labels = {label for label, _ in ins}
    for label, path in ins:
        seen.setdefault(_identity(path), label)
    for label, path in outs:
        if path.is_dir():
            raise ConfigError(
                f"{path}: {label} is a folder, expected a file path",
                hint="Choose another path",
            )
        key = _identity(path)
        if key in seen:
            clash = seen[key]
            why = (
                "writing it would destroy that file"
                if clash in input_labels
                else "two outputs cannot share a file"
            )
            raise ConfigError(f"{path}: {label} is also {clash}; {why}", hint="Choose another path")
        seen[key] = label
    folders = [(label, path) for label, path in ins if path.is_dir()]
    targets = [*outs, *([("the output folder", output_folder)] if output_folder else [])]
    for out_label, out_path in targets:
        for in_label, in_path in folders:
            if _identity(out_path) == _identity(in_path) or _inside(out_path, in_path):
                raise ConfigError(
                    f"{out_path}: {out_label} is inside {in_label} {in_path}, which the run "
                    "reads; a rerun would read its own output",
                    hint="Write the output outside the input folders",
                )
    if output_folder is not None:
        for in_label, in_path in ins:
            if _inside(in_path, output_folder):
                raise ConfigError(
                    f"{output_folder}: the output folder holds {in_label} {in_path}",
                    hint="Choose an output folder that holds no input",
                )


def prepare_outputs(files: Iterable[Path | None], folders: Iterable[Path] = ()) -> None:
    """Restore each output folder after a killed run (roll its journal forward or drop it)."""
    found = {Path(p).absolute().parent for p in files if p is not None}
    found.update(Path(folder).absolute() for folder in folders)
    for folder in sorted(found):
        recover(folder)
