"""The two writing stages of ``dataprep voice``: clips, then lists and manifests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import Field

from dataprep.errors import ConfigError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams
from dataprep.threads import ordered_map
from dataprep.voice.list_formats import DEFAULT_FORMATS, FORMAT_NAMES, ListFormatName

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = ["WriteClips", "WriteLists"]


@register
class WriteClips(Stage):
    """Cut clips at the output rate, check their levels, normalize and write them."""

    name = "write_clips"
    consumes = "clips"
    description = "Cut clips at the output sample rate, reject clipped or too quiet ones, normalize loudness, write WAV."

    class Params(StageParams):
        sample_rate: int = Field(
            default=32000, ge=8000, description="Clip sample rate (GPT-SoVITS works at 32 kHz)."
        )
        loudness: Literal["peak", "lufs", "none"] = Field(
            default="lufs", description="Normalization of every clip."
        )
        target_lufs: float = Field(
            default=-23.0, description="Integrated loudness target for loudness=lufs (EBU R128)."
        )
        peak_dbfs: float = Field(
            default=-1.0, le=0, description="Peak target (peak) or ceiling (lufs), in dBFS."
        )
        max_clipped_ratio: float = Field(
            default=0.001, ge=0, description="Reject clips with more full-scale samples."
        )
        min_rms_dbfs: float = Field(
            default=-50.0, description="Reject clips quieter than this RMS level."
        )
        min_snr_db: float = Field(
            default=15.0,
            description="Reject clips whose estimated signal-to-noise ratio is lower (noise, music).",
        )

    params: Params

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        if ctx.output is None:
            raise ConfigError("write_clips needs an output folder")
        folder = ctx.output / "wavs"
        for kept, rejected in ordered_map(
            lambda batch: self._one_file(batch, folder, ctx), batches, workers=1
        ):
            for reason, rows in rejected.items():
                ctx.reject(self.name, rows, reason)
            if kept.height:
                yield kept

    def _one_file(
        self, batch: pl.DataFrame, folder: Path, ctx: RunContext
    ) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
        from dataprep.voice.audio import iter_resampled
        from dataprep.voice.clips import clip_name, cut_spans, fade_edges, sample_spans, write_wav
        from dataprep.voice.loudness import estimate_snr_db, measure, normalize

        p = self.params
        rate = p.sample_rate
        spans = sample_spans(batch.select("start", "end").rows(), rate)
        measured: list[dict[str, Any]] = []
        blocks = iter_resampled(Path(batch["source"][0]), rate)
        for index, samples in cut_spans(blocks, spans):
            row = batch.row(index, named=True)
            levels = measure(samples)
            snr = estimate_snr_db(samples, rate)
            row.update(
                duration=len(samples) / rate,
                peak_dbfs=levels.peak_dbfs,
                rms_dbfs=levels.rms_dbfs,
                clipped_ratio=levels.clipped_ratio,
                snr_db=snr,
                sample_rate=rate,
                clip_path=None,
            )
            if levels.clipped_ratio > p.max_clipped_ratio:
                row["reason"] = "clipping"
            elif levels.rms_dbfs < p.min_rms_dbfs:
                row["reason"] = "too_quiet"
            elif snr < p.min_snr_db:
                row["reason"] = "low_snr"
            else:
                path = folder / clip_name(row["relpath"], row["start"], row["end"])
                # A cut inside the file gets a 5 ms fade (no click); a file's own start does not.
                faded = fade_edges(samples, rate, fade_in=row["start"] > 0, fade_out=True)
                gained = normalize(
                    faded, rate, p.loudness, peak_dbfs=p.peak_dbfs, lufs=p.target_lufs
                )
                with ctx.outputs.open(path, "wb") as handle:
                    write_wav(handle, gained, rate)
                row["clip_path"] = str(path.absolute())
                row["reason"] = None
            measured.append(row)
        table = pl.DataFrame(measured, infer_schema_length=None)
        kept = table.filter(pl.col("reason").is_null()).drop("reason")
        rejected = {
            str(reason): rows.drop("reason", "clip_path")
            for (reason,), rows in table.filter(pl.col("reason").is_not_null()).group_by(["reason"])
        }
        return kept, rejected


@register
class WriteLists(Stage):
    """Sink: the annotation lists and manifests of the kept clips, one folder per format."""

    name = "write_lists"
    consumes = "clips"
    produces = "none"
    description = "Write GPT-SoVITS .list, LJSpeech metadata.csv, NeMo manifest.jsonl and/or AudioFolder metadata.csv."
    kind = "sink"

    class Params(StageParams):
        formats: list[ListFormatName] = Field(
            default=list(DEFAULT_FORMATS),
            min_length=1,
            description="Formats to write: " + ", ".join(FORMAT_NAMES) + ".",
        )
        val_fraction: float = Field(
            default=0.0,
            ge=0,
            lt=1,
            description="Share of clips for validation lists, split by source file.",
        )
        ljspeech_sample_rate: int = Field(
            default=22050,
            ge=8000,
            description="Sample rate of ljspeech/wavs (LJSpeech trainers expect 22,050 Hz).",
        )

    params: Params

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        from dataprep.voice.writers import LJSPEECH_SAMPLE_RATE, clean_text, write_formats

        if ctx.output is None:
            raise ConfigError("write_lists needs an output folder")
        p = self.params
        parts = [batch for batch in batches if batch.height]
        rows = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        if "ljspeech" in p.formats and p.ljspeech_sample_rate != LJSPEECH_SAMPLE_RATE:
            ctx.warn(
                f"LJSpeech clips are written at {p.ljspeech_sample_rate} Hz, not LJSpeech's "
                f"{LJSPEECH_SAMPLE_RATE} Hz: set the trainer's sample_rate to match, or it trains "
                "at the wrong speed and pitch"
            )
        if rows.height:
            rows = rows.with_columns(pl.col("text").map_elements(clean_text, return_dtype=pl.Utf8))
            _write_clip_table(rows, ctx)
            train, validation = split_by_source(rows, p.val_fraction, ctx.seed)
            if p.val_fraction and validation is None:
                ctx.warn(
                    "--val-fraction needs clips from at least two source files; no validation list was written"
                )
            skipped = write_formats(
                train,
                ctx.output,
                list(p.formats),
                ctx.outputs,
                validation=validation,
                ljspeech_rate=p.ljspeech_sample_rate,
            )
            if skipped:
                ctx.note(self.name, "gpt_sovits_unsupported_language", skipped)
                ctx.warn(
                    f"{skipped} clip(s) in a language GPT-SoVITS cannot train on were left out of the .list files"
                )
        else:
            ctx.warn("no clip passed every check; no list was written")
        ctx.report["voice"] = {
            "clips": rows.height,
            "clip_seconds": round(float(rows["duration"].sum()), 3) if rows.height else 0.0,
            "speakers": rows["speaker"].n_unique() if rows.height else 0,
        }
        yield from ()


def split_by_source(
    rows: pl.DataFrame, fraction: float, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Train and validation rows; whole source files go to validation until it holds
    ``fraction`` of the clips (at least one file, never every file). Files are taken in a
    seeded hash order, so the split is stable when files are added or removed."""
    import hashlib

    sources = rows["relpath"].unique().to_list()
    if fraction <= 0 or len(sources) < 2:
        return rows, None
    counts = dict(rows.group_by("relpath").len().iter_rows())

    def order(relpath: str) -> str:
        return hashlib.sha256(f"{seed}:{relpath}".encode()).hexdigest()

    chosen: list[str] = []
    taken = 0
    for relpath in sorted(sources, key=order):
        if chosen and (taken >= fraction * rows.height or len(chosen) == len(sources) - 1):
            break
        chosen.append(relpath)
        taken += counts[relpath]
    held_out = pl.col("relpath").is_in(chosen)
    return rows.filter(~held_out), rows.filter(held_out)


def _write_clip_table(rows: pl.DataFrame, ctx: RunContext) -> None:
    """``clips.jsonl``: every kept clip with its source span, Whisper scores and levels."""
    assert ctx.output is not None
    table = rows.sort("clip_path").drop("file_key", "source", strict=False)
    with ctx.outputs.open(ctx.output / "clips.jsonl") as handle:
        table.write_ndjson(handle)
