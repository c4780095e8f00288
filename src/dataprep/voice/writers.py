"""Writers of the annotation lists and manifests trainers read.

Every file goes through the run's ``OutputSet``, so it appears only when the whole run
succeeded. Rows are built through the models in ``dataprep.records.voice``.

Layout under the output folder::

    wavs/<clip>.wav          the clips
    <speaker>.list           gpt_sovits: one list per speaker (one model per speaker)
    metadata.csv             ljspeech: id|text|normalized text
    manifest.jsonl           nemo: {"audio_filepath", "duration", "text", ...}
    wavs/metadata.csv        audiofolder: file_name,transcription,... beside the clips
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import polars as pl

from dataprep.io import OutputSet
from dataprep.records.voice import (
    AudioFolderRow,
    GptSovitsRow,
    LJSpeechRow,
    NemoManifestRow,
    gpt_sovits_language,
)

__all__ = ["FORMATS", "clean_text", "safe_name", "write_formats"]

FORMATS = ("gpt_sovits", "ljspeech", "nemo", "audiofolder")

_UNSAFE = re.compile(r"[^\w.-]+")


def clean_text(text: str) -> str:
    """One line of text: ``|`` (the list separator) and line breaks become spaces."""
    return " ".join(text.replace("|", " ").split())


def safe_name(name: str) -> str:
    """A file-name-safe version of a speaker or file stem."""
    return _UNSAFE.sub("_", name).strip("._") or "speaker"


def _gpt_sovits(rows: pl.DataFrame, out: Path, outputs: OutputSet) -> tuple[list[Path], int]:
    written: list[Path] = []
    skipped = 0
    for (speaker,), group in rows.group_by(["speaker"], maintain_order=True):
        lines = []
        for row in group.iter_rows(named=True):
            code = gpt_sovits_language(row["language"])
            if code is None:
                skipped += 1
                continue
            lines.append(
                GptSovitsRow(
                    wav_path=row["clip_path"],
                    speaker=str(speaker),
                    language=code,  # type: ignore[arg-type]
                    text=row["text"],
                ).line()
            )
        if lines:
            path = out / f"{safe_name(str(speaker))}.list"
            with outputs.open(path) as handle:
                handle.write("\n".join(lines) + "\n")
            written.append(path)
    return written, skipped


def _ljspeech(rows: pl.DataFrame, out: Path, outputs: OutputSet) -> list[Path]:
    path = out / "metadata.csv"
    with outputs.open(path) as handle:
        for row in rows.iter_rows(named=True):
            clip_id = Path(row["clip_path"]).stem
            handle.write(
                LJSpeechRow(id=clip_id, text=row["text"], normalized_text=row["text"]).line() + "\n"
            )
    return [path]


def _nemo(rows: pl.DataFrame, out: Path, outputs: OutputSet) -> list[Path]:
    path = out / "manifest.jsonl"
    with outputs.open(path) as handle:
        for row in rows.iter_rows(named=True):
            record = NemoManifestRow(
                audio_filepath=row["clip_path"],
                duration=row["duration"],
                text=row["text"],
                speaker=row["speaker"],
                language=row["language"],
            )
            handle.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
    return [path]


def _audiofolder(rows: pl.DataFrame, out: Path, outputs: OutputSet) -> list[Path]:
    path = out / "wavs" / "metadata.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(AudioFolderRow.model_fields))
    for row in rows.iter_rows(named=True):
        record = AudioFolderRow(
            file_name=Path(row["clip_path"]).name,
            transcription=row["text"],
            speaker=row["speaker"],
            language=row["language"],
            duration=row["duration"],
        )
        writer.writerow(list(record.model_dump().values()))
    with outputs.open(path) as handle:
        handle.write(buffer.getvalue())
    return [path]


def write_formats(
    rows: pl.DataFrame, out: Path, formats: list[str], outputs: OutputSet
) -> tuple[list[Path], int]:
    """Write every requested format; returns the files and the rows GPT-SoVITS cannot take."""
    rows = rows.sort("clip_path")
    written: list[Path] = []
    skipped = 0
    for name in formats:
        if name == "gpt_sovits":
            paths, skipped = _gpt_sovits(rows, out, outputs)
            written += paths
        elif name == "ljspeech":
            written += _ljspeech(rows, out, outputs)
        elif name == "nemo":
            written += _nemo(rows, out, outputs)
        elif name == "audiofolder":
            written += _audiofolder(rows, out, outputs)
    return written, skipped
