"""Pieces every pipeline command shares: recipe options, progress, the summary table."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from dataprep.context import RunContext
from dataprep.errors import ConfigError
from dataprep.io import beside
from dataprep.recipe import Recipe, load_recipe, parse_override
from dataprep.runner import RunResult, run_recipe

__all__ = [
    "RichProgress",
    "apply_overrides",
    "param_help",
    "pipeline_options",
    "print_summary",
    "run_pipeline",
]

F = TypeVar("F", bound=Callable[..., Any])


def pipeline_options(func: F) -> F:
    """Options every recipe-backed command takes."""
    options = [
        click.option(
            "--recipe",
            "recipe_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Run a recipe YAML file (e.g. your copy of pipelines/chat.yaml) instead of the built-in one.",
        ),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="STAGE.PARAM=VALUE",
            help="Override one stage parameter; repeatable (e.g. --set sessionize.gap_minutes=30).",
        ),
        click.option(
            "--rejects",
            "rejects_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write every dropped row, with its stage and reason, to this JSONL file.",
        ),
        click.option(
            "--report",
            "report_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Where to write the JSON run report (default: beside the output).",
        ),
        click.option(
            "--seed",
            type=int,
            default=None,
            help="Seed for every random choice (default: the recipe's).",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress display or summary."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def param_help(stage: str, field: str) -> str:
    """A command-line option's help: the stage parameter's description and its default.

    The parameter model is the one place both are written; the option only points at it.
    """
    from dataprep.registry import get_stage

    info = get_stage(stage).Params.model_fields[field]
    default = info.get_default(call_default_factory=True)
    if default is None or default == []:
        return info.description or ""
    shown = ",".join(map(str, default)) if isinstance(default, list) else default
    return f"{(info.description or '').rstrip('.')} (default: {shown})."


def apply_overrides(recipe: Recipe, overrides: tuple[str, ...] | list[str]) -> Recipe:
    for text in overrides:
        stage, param, value = parse_override(text)
        if param == "enabled":  # a StageSpec field, not a parameter: --set split.enabled=false
            if not isinstance(value, bool):
                raise ConfigError(f"--set {text!r}: enabled must be true or false")
            recipe = recipe.with_enabled(stage, value)
        else:
            recipe = recipe.with_params(stage, **{param: value})
    recipe.check()
    return recipe


def default_report_path(out: Path) -> Path:
    """``data/train.jsonl`` -> ``data/train.report.json``."""
    return beside(out, "report.json")


def resolve_recipe(default: str, recipe_path: Path | None) -> Recipe:
    return load_recipe(recipe_path if recipe_path is not None else default)


class RichProgress:
    """Progress bars on stderr with rich, only when stderr is a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self._progress = None
        self._tasks: dict[str, Any] = {}
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()

    def task(self, key: str, description: str, total: float | None = None) -> None:
        if self._progress is None:
            return
        if key in self._tasks:
            self._progress.update(self._tasks[key], description=description, total=total)
        else:
            self._tasks[key] = self._progress.add_task(description, total=total)

    def advance(self, key: str, amount: float = 1) -> None:
        if self._progress is None:
            return
        if key not in self._tasks:
            self.task(key, key)
        self._progress.advance(self._tasks[key], amount)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def run_pipeline(
    recipe: Recipe,
    *,
    inputs: list[Path],
    output: Path | None,
    report_path: Path | None,
    rejects_path: Path | None,
    seed: int | None,
    quiet: bool,
    cache_dir: Path | None = None,
) -> RunResult:
    """Run ``recipe``; ``cache_dir`` holds caches a rerun reuses (voice decodes and transcripts).

    Spool files (dedupe and split waiting for every row) go to a staging folder beside the
    output, removed when the run ends, whatever happens.
    """
    if seed is not None:
        recipe = recipe.model_copy(update={"seed": seed})
    with staging_folder(output) as staging:
        ctx = RunContext(
            inputs=inputs,
            output=output,
            seed=recipe.seed,
            progress=RichProgress(enabled=not quiet),
            rejects_path=rejects_path,
            cache_dir=cache_dir,
            staging_dir=staging,
        )
        result = run_recipe(recipe, ctx, report_path=report_path)
    if not quiet:
        print_summary(result, report_path)
    return result


@contextlib.contextmanager
def staging_folder(output: Path | None) -> Iterator[Path | None]:
    """A hidden temporary folder beside ``output`` (same disk), or None for the system temp folder."""
    parent = output.absolute().parent if output is not None else None
    if parent is None or not parent.is_dir():
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix=".dataprep-staging-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_file_pipeline(
    recipe: Recipe,
    paths: tuple[Path, ...],
    out: Path,
    *,
    overrides: tuple[str, ...],
    report_path: Path | None,
    rejects_path: Path | None,
    seed: int | None,
    quiet: bool,
) -> RunResult:
    """The end of ``chat`` and ``clean``: ``--set`` overrides, then the run, reported beside --out."""
    return run_pipeline(
        apply_overrides(recipe, overrides),
        inputs=list(paths),
        output=out,
        report_path=report_path or default_report_path(out),
        rejects_path=rejects_path,
        seed=seed,
        quiet=quiet,
    )


def print_summary(result: RunResult, report_path: Path | None) -> None:
    """A small table of per-stage counts on stderr (no personal data: counts only)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(title=f"dataprep {result.report['recipe']['name']}", show_lines=False)
    table.add_column("stage")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("rejected (reason: count)")
    table.add_column("s", justify="right")
    for key, counts in result.report["stages"].items():
        reasons = ", ".join(f"{r}: {n}" for r, n in counts["rejected"].items())
        table.add_row(
            key,
            str(counts["rows_in"]),
            str(counts["rows_out"]),
            reasons,
            f"{counts['seconds']:.2f}",
        )
    console.print(table)
    for warning in result.report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for line in describe_outputs(result.outputs):
        console.print(line)


def describe_outputs(paths: list[Path], limit: int = 10) -> list[str]:
    """``wrote PATH`` lines; past ``limit`` files, one line per folder with a count."""
    if len(paths) <= limit:
        return [f"wrote {path}" for path in paths]
    folders: dict[Path, int] = {}
    for path in paths:
        folders[path.parent] = folders.get(path.parent, 0) + 1
    return [
        f"wrote {n} file{'s' if n > 1 else ''} in {folder}" for folder, n in sorted(folders.items())
    ]
