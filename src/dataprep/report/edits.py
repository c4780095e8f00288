"""Apply the proofreading edits exported from a voice report page to the dataset.

Every list format the run wrote is rewritten from the updated clip table, and each edit is
recorded in the clip's row of ``clips.jsonl`` (``edits``: what changed, from what to what).
All files are staged and committed together, so a failure leaves the dataset as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataprep.errors import InputError
from dataprep.io import OutputSet, read_text
from dataprep.report.dataset import find_run_report
from dataprep.report.voice import EXCLUDED, VoiceFolder

__all__ = ["ClipEdit", "EditsFile", "apply_edits"]


class ClipEdit(BaseModel):
    """One clip's edit: a corrected transcript and/or a verdict."""

    model_config = ConfigDict(extra="forbid")

    clip: str = Field(description="The clip's path relative to the dataset folder (wavs/....wav).")
    text: str | None = Field(default=None, description="The corrected transcript.")
    bad: bool | None = Field(default=None, description="True drops the clip from every list.")


class EditsFile(BaseModel):
    """What the page's "Export edits" button saves."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["dataprep-voice-edits"]
    version: Literal[1]
    dataset: str | None = None
    edits: list[ClipEdit]


def load_edits(path: Path) -> EditsFile:
    try:
        return EditsFile.model_validate_json(read_text(path))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"not a dataprep edits file ({where}: {first['msg']})",
            path=path,
            hint="Export it with the Export edits button of the voice report page",
        ) from None


def _apply(row: dict[str, Any], edit: ClipEdit, counts: Counter[str]) -> None:
    from dataprep.voice.writers import clean_text

    history = row.setdefault("edits", [])
    if edit.text is not None:
        new = clean_text(edit.text)
        if not new:
            raise InputError(
                f"{edit.clip}: the corrected transcript is empty", hint="Mark the clip bad instead"
            )
        if new != row.get("text"):
            history.append({"field": "text", "before": row.get("text"), "after": new})
            row["text"] = new
            counts["text_changed"] += 1
    if edit.bad is True and row.get("excluded") != EXCLUDED:
        history.append({"field": "excluded", "before": row.get("excluded"), "after": EXCLUDED})
        row["excluded"] = EXCLUDED
        counts["marked_bad"] += 1
    elif edit.bad is False and row.get("excluded"):
        history.append({"field": "excluded", "before": row["excluded"], "after": None})
        row.pop("excluded")
        counts["restored"] += 1
    if not history:
        row.pop("edits")


def apply_edits(folder_path: Path, edits_path: Path) -> dict[str, Any]:
    """Apply ``edits_path`` to the voice dataset in ``folder_path``; returns counts and files."""

    folder = VoiceFolder(folder_path)
    edits = load_edits(edits_path)
    rows = folder.read_clips()
    by_id = {folder.clip_id(row): row for row in rows}
    unknown = [edit.clip for edit in edits.edits if edit.clip not in by_id]
    if unknown:
        raise InputError(
            f"{len(unknown)} edited clip(s) are not in {folder.clip_table.name} (first: {unknown[0]})",
            path=edits_path,
            hint="Apply the edits to the dataset folder the page was made for",
        )
    counts: Counter[str] = Counter()
    for edit in edits.edits:
        _apply(by_id[edit.clip], edit, counts)
    run_report = find_run_report(folder.root)
    formats = folder.formats(run_report)
    before = folder.list_files()
    outputs = OutputSet()
    try:
        with outputs.open(folder.clip_table) as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        kept = [row for row in rows if not row.get("excluded")]
        if kept:
            _write_lists(folder, rows, formats, outputs, run_report)
        _refresh_page(folder, outputs, run_report)
        committed = outputs.commit()
    except BaseException:
        outputs.discard()
        raise
    stale = [
        p for name in formats for p in before.get(name, []) if p.absolute() not in set(committed)
    ]
    for path in stale:
        path.unlink()
    written = [p for paths in folder.list_files().values() for p in paths]
    return {
        "counts": dict(counts),
        "clips": len(rows),
        "kept": len(kept),
        "formats": formats,
        "written": [str(p) for p in committed],
        "removed": [str(p) for p in stale],
        "lists": [str(p) for p in written],
    }


def _write_lists(
    folder: VoiceFolder,
    rows: list[dict[str, Any]],
    formats: list[str],
    outputs: OutputSet,
    run_report: dict[str, Any] | None,
) -> None:
    """Rewrite every list from the clip table, with the run's own validation split: the split
    is recomputed over every clip the run kept (marked-bad ones included), so marking a clip bad
    never moves another clip between train and validation."""
    import polars as pl

    from dataprep.voice.write_stages import split_by_source
    from dataprep.voice.writers import LJSPEECH_SAMPLE_RATE, write_formats

    params = folder.list_params(run_report)
    columns = ("text", "speaker", "language", "duration", "sample_rate", "relpath")
    table = pl.DataFrame(
        [
            # The folder may have moved since the run: clips are found under its own wavs/.
            {"clip_path": str(folder.clip_file(row)), **{k: row.get(k) for k in columns}}
            for row in rows
        ],
        schema_overrides={"relpath": pl.Utf8, "sample_rate": pl.Int64},
    ).with_columns(relpath=pl.col("relpath").fill_null(pl.col("clip_path")))
    seed = int((run_report or {}).get("seed") or 0)
    train, validation = split_by_source(table, float(params.get("val_fraction") or 0), seed)
    excluded = {str(folder.clip_file(row)) for row in rows if row.get("excluded")}

    def usable(part: pl.DataFrame) -> pl.DataFrame:
        return part.filter(~pl.col("clip_path").is_in(list(excluded))).drop("relpath")

    write_formats(
        usable(train),
        folder.root,
        formats,
        outputs,
        validation=usable(validation) if validation is not None else None,
        ljspeech_rate=int(params.get("ljspeech_sample_rate") or LJSPEECH_SAMPLE_RATE),
    )


def _refresh_page(
    folder: VoiceFolder, outputs: OutputSet, run_report: dict[str, Any] | None
) -> None:
    """Rewrite report.html when there is one, so the next proofreading pass sees the edits."""
    from dataprep.report import page_data
    from dataprep.report.page import write_page

    page = folder.root / "report.html"
    if not page.is_file():
        return
    staged = {p: outputs.temp_path(p) for p in outputs.targets}
    data = page_data(
        [folder.root],
        page,
        run_report,
        resolve=lambda path: staged.get(path.absolute(), path),
        voice=True,
        staged=frozenset(staged),
    )
    with outputs.open(page) as handle:
        write_page(data, handle)
