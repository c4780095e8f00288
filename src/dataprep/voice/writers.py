"""Writers of the annotation lists and manifests trainers read, one folder per format.

Every file goes through the run's ``OutputSet``, so it appears only when the whole run
succeeded. Rows are built through the models in ``dataprep.records.voice``. Each format
lives in its own folder, so any combination of ``--format`` loads from that folder with the
format's own loader (an LJSpeech ``metadata.csv`` never sits where AudioFolder looks):

    wavs/<clip>.wav                      the clips at --sample-rate (32 kHz by default)
    clips.jsonl                          every kept clip with its source span and scores
    gpt_sovits/<speaker>.list            wav_path|speaker|LANG|text, absolute paths into wavs/
    gpt_sovits/<speaker>.val.list        the validation files' clips (--val-fraction)
    ljspeech/metadata.csv                id|text|normalized text (numbers spelled out)
    ljspeech/metadata_val.csv            validation rows (--val-fraction)
    ljspeech/wavs/<id>.wav               the clips again at 22,050 Hz (LJSpeech's rate)
    nemo/manifest.jsonl                  {"audio_filepath", "duration", "text", "speaker": int, ...}
    nemo/manifest_val.jsonl              validation rows (--val-fraction)
    nemo/speakers.json                   speaker name -> the integer id in the manifests
    audiofolder/train/metadata.csv       file_name,transcription,... beside hard links of the clips
    audiofolder/validation/...           the same for the validation files (--val-fraction)
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.io import OutputSet
from dataprep.records.voice import (
    AudioFolderRow,
    GptSovitsRow,
    LJSpeechRow,
    NemoManifestRow,
    gpt_sovits_language,
)
from dataprep.voice.list_formats import FORMAT_NAMES, LIST_FORMATS

__all__ = [
    "CLIPS_FOLDER",
    "FORMATS",
    "FORMAT_FOLDERS",
    "LJSPEECH_SAMPLE_RATE",
    "clean_text",
    "safe_name",
    "speaker_ids",
    "write_formats",
]

FORMATS = FORMAT_NAMES
#: The folder of the shared clips and the folder each format owns (its dataset root).
CLIPS_FOLDER = "wavs"
FORMAT_FOLDERS = {name: fmt.folder for name, fmt in LIST_FORMATS.items()}
#: LJSpeech's own rate; Coqui's LJSpeech recipes expect it and do not resample.
LJSPEECH_SAMPLE_RATE = 22050

_UNSAFE = re.compile(r"[^\w.-]+")


def clean_text(text: str) -> str:
    """One line of text: ``|`` (the list separator) and line breaks become spaces."""
    return " ".join(text.replace("|", " ").split())


def safe_name(name: str) -> str:
    """A file-name-safe version of a speaker or file stem."""
    return _UNSAFE.sub("_", name).strip("._") or "speaker"


def speaker_ids(rows: pl.DataFrame) -> dict[str, int]:
    """Speaker name -> integer id (sorted names, from 0), as NeMo's TTS datasets expect."""
    return {name: index for index, name in enumerate(sorted(set(rows["speaker"].to_list())))}


def _gpt_sovits(rows: pl.DataFrame, folder: Path, suffix: str, outputs: OutputSet) -> int:
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
            path = folder / f"{safe_name(str(speaker))}{suffix}.list"
            with outputs.open(path) as handle:
                handle.write("\n".join(lines) + "\n")
    return skipped


def _ljspeech(
    rows: pl.DataFrame,
    folder: Path,
    suffix: str,
    outputs: OutputSet,
    rate: int = LJSPEECH_SAMPLE_RATE,
) -> int:
    from dataprep.voice.normalize import normalize_numbers

    with outputs.open(folder / f"metadata{suffix}.csv") as handle:
        for row in rows.iter_rows(named=True):
            _resampled_copy(outputs, row, folder / "wavs", rate)
            normalized = clean_text(normalize_numbers(row["text"], row["language"]))
            record = LJSpeechRow(
                id=Path(row["clip_path"]).stem, text=row["text"], normalized_text=normalized
            )
            handle.write(record.line() + "\n")
    return 0


def _nemo(rows: pl.DataFrame, folder: Path, suffix: str, outputs: OutputSet) -> int:
    with outputs.open(folder / f"manifest{suffix}.jsonl") as handle:
        for row in rows.iter_rows(named=True):
            record = NemoManifestRow(
                audio_filepath=row["clip_path"],
                duration=row["duration"],
                text=row["text"],
                speaker=row["speaker_id"],
                speaker_name=row["speaker"],
                language=row["language"],
            )
            handle.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
    return 0


def _audiofolder(rows: pl.DataFrame, folder: Path, suffix: str, outputs: OutputSet) -> int:
    split = folder / ("validation" if suffix else "train")
    split.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(AudioFolderRow.model_fields))
    for row in rows.iter_rows(named=True):
        name = Path(row["clip_path"]).name
        link_output(outputs, Path(row["clip_path"]), split / name)
        record = AudioFolderRow(
            file_name=name,
            transcription=row["text"],
            speaker=row["speaker"],
            language=row["language"],
            duration=row["duration"],
        )
        writer.writerow(list(record.model_dump().values()))
    with outputs.open(split / "metadata.csv") as handle:
        handle.write(buffer.getvalue())
    return 0


def _resampled_copy(outputs: OutputSet, row: dict[str, Any], folder: Path, rate: int) -> None:
    """Stage the clip of ``row`` under ``folder`` at ``rate`` (a link when already at it)."""
    import soundfile
    import soxr

    from dataprep.voice.clips import write_wav

    source = Path(row["clip_path"])
    target = folder / source.name
    folder.mkdir(parents=True, exist_ok=True)
    if row["sample_rate"] == rate:
        link_output(outputs, source, target)
        return
    samples, source_rate = soundfile.read(outputs.current_path(source), dtype="float32")
    resampled = soxr.resample(samples, source_rate, rate, quality="HQ")
    with outputs.open(target, "wb") as handle:
        write_wav(handle, resampled, rate)


def link_output(outputs: OutputSet, source: Path, target: Path) -> None:
    """Stage ``target`` as a hard link of the staged ``source`` (a copy where links fail)."""
    staged = outputs.current_path(source)
    temp = outputs.temp_path(target)
    os.unlink(temp)
    try:
        os.link(staged, temp)
    except OSError:
        shutil.copyfile(staged, temp)


Writer = Callable[..., int]
#: The writer of each format in ``dataprep.voice.list_formats.LIST_FORMATS``.
_WRITERS: dict[str, Writer] = {
    "gpt_sovits": _gpt_sovits,
    "ljspeech": _ljspeech,
    "nemo": _nemo,
    "audiofolder": _audiofolder,
}


def write_formats(
    rows: pl.DataFrame,
    out: Path,
    formats: list[str],
    outputs: OutputSet,
    *,
    validation: pl.DataFrame | None = None,
    ljspeech_rate: int = LJSPEECH_SAMPLE_RATE,
) -> int:
    """Write every requested format (train rows, then validation rows when given) into its
    folder; returns the number of rows GPT-SoVITS cannot take (unsupported language)."""
    ids = speaker_ids(pl.concat([rows, validation]) if validation is not None else rows)
    skipped = 0
    for name in formats:
        folder = out / FORMAT_FOLDERS[name]
        folder.mkdir(parents=True, exist_ok=True)
        for part, suffix in ((rows, ""), (validation, "_val")):
            if part is None or not part.height:
                continue
            part = part.sort("clip_path").with_columns(
                speaker_id=pl.col("speaker").replace_strict(ids, return_dtype=pl.Int64)
            )
            if name == "gpt_sovits":
                suffix = suffix.replace("_", ".")
            options = {"rate": ljspeech_rate} if name == "ljspeech" else {}
            skipped += _WRITERS[name](part, folder, suffix, outputs, **options)
    if "nemo" in formats:
        with outputs.open(out / FORMAT_FOLDERS["nemo"] / "speakers.json") as handle:
            handle.write(json.dumps(ids, ensure_ascii=False, indent=2) + "\n")
    return skipped
