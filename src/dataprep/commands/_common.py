"""Pieces every pipeline command shares: recipe options, progress, the summary table."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import click

from dataprep.context import RunContext
from dataprep.engines import ENGINES, Engine, make_engine
from dataprep.errors import ConfigError
from dataprep.guard import Labelled, check_paths, prepare_outputs
from dataprep.io import SPLITS, beside, split_output_paths
from dataprep.recipe import Recipe, load_recipe, parse_override
from dataprep.runner import RunResult, run_recipe

__all__ = [
    "RichProgress",
    "apply_overrides",
    "engine_options",
    "guard_pipeline",
    "param_help",
    "pipeline_options",
    "print_summary",
    "run_pipeline",
    "shard_option",
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
    return report_page_options(func)


def engine_options(func: F) -> F:
    """``--engine`` and ``--ray-address``, read back with ``pop_engine``."""
    func = click.option(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="With --engine ray: the Ray cluster to join (HOST:PORT of `ray start --head`, or ray://...); default: start or join a local Ray instance.",
    )(func)
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="local",
        show_default=True,
        help="Where the stages run: local (this process) or ray (per-batch stages on Ray workers; needs the [ray] extra; docs/ray.md).",
    )(func)


def shard_option(func: F) -> F:
    """``--shard-rows`` (chat and clean: the commands whose writers shard), read back with
    ``pop_engine``."""
    return click.option(
        "--shard-rows",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="With --engine ray: rows per output shard (train-00000-of-00003.jsonl ...); default 100000.",
    )(func)


def pop_engine(options: dict[str, Any]) -> Engine | None:
    """The engine the ``engine_options`` in ``options`` ask for (None: the local one)."""
    name, address = options.pop("engine", "local"), options.pop("ray_address", None)
    shard_rows = options.pop("shard_rows", None)
    if name == "local" and not address and not shard_rows:
        return None
    return make_engine(name, ray_address=address, shard_rows=shard_rows)


def _remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[f"dataprep.{param.name}"] = value
    return value


def report_page_options(func: F) -> F:
    """``--no-html-report`` and ``--no-card``, read back with ``report_page_choices``."""
    func = click.option(
        "--card/--no-card",
        "dataset_card",
        default=True,
        expose_value=False,
        callback=_remember,
        help="Write or merge a Hugging Face dataset card (README.md) in the output folder.",
    )(func)
    return click.option(
        "--html-report/--no-html-report",
        "html_report",
        default=True,
        expose_value=False,
        callback=_remember,
        help="Write an offline HTML report page beside the JSON report (OUT.report.html).",
    )(func)


class PageChoices(TypedDict):
    html_report: bool
    dataset_card: bool


def report_page_choices() -> PageChoices:
    """What the running command's page options asked for (both off outside the CLI)."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    return PageChoices(
        html_report=bool(meta.get("dataprep.html_report", False)),
        dataset_card=bool(meta.get("dataprep.dataset_card", False)),
    )


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


def ensure_output_folders(*paths: Path | None) -> None:
    """Create the folders the outputs go to, before any stage loads a model."""
    from dataprep.errors import OutputError

    for path in paths:
        if path is None:
            continue
        try:
            path.absolute().parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise OutputError(f"{path}: a file is in the way of its folder") from None
        except OSError as error:
            raise OutputError(f"{path}: cannot create its folder ({error.strerror})") from None


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
    output_folder: bool = False,
    reject_sample_limit: int = 0,
    engine: Engine | None = None,
) -> RunResult:
    """Run ``recipe``; ``cache_dir`` holds caches a rerun reuses (voice decodes and transcripts).

    Outputs that are inputs (or each other) are refused first. Spool files (dedupe and split
    waiting for every row) go to the output's staging folder (``ctx.spool_dir()``), removed
    with it on every exit Python sees, and by the next run after a kill.
    """
    guard_pipeline(recipe, inputs, output, report_path, rejects_path, output_folder=output_folder)
    if seed is not None:
        recipe = recipe.model_copy(update={"seed": seed})
    ctx = RunContext(
        inputs=inputs,
        output=output,
        seed=recipe.seed,
        progress=RichProgress(enabled=not quiet),
        rejects_path=rejects_path,
        cache_dir=cache_dir,
        reject_sample_limit=reject_sample_limit,
        **report_page_choices(),
    )
    result = run_recipe(recipe, ctx, report_path=report_path, engine=engine)
    if not quiet:
        print_summary(result, report_path)
    return result


def guard_pipeline(
    recipe: Recipe,
    inputs: list[Path],
    output: Path | None,
    report_path: Path | None,
    rejects_path: Path | None,
    *,
    output_folder: bool = False,
) -> None:
    """Refuse outputs that are inputs or each other, then restore the output folders."""
    outputs = planned_outputs(recipe, None if output_folder else output, report_path, rejects_path)
    if report_path is not None and report_page_choices()["html_report"]:
        from dataprep.report import run_page_path

        outputs.append(("the HTML report page", run_page_path(report_path)))
    check_paths(
        [("an input", p) for p in inputs] + recipe_inputs(recipe),
        outputs,
        output_folder=output if output_folder else None,
    )
    folders = _output_folders(output) if output_folder and output is not None else []
    prepare_outputs([path for _, path in outputs], folders=folders)


def _output_folders(output: Path) -> list[Path]:
    """An output folder and the folders in it (voice: clips and one per format), where a
    killed run may have left its staging area; hidden folders (staging, cache) are skipped."""
    found = [output]
    for root, dirs, _ in os.walk(output):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / d for d in dirs)
    return found


#: Stage parameters that name files a run reads.
_INPUT_PARAMS = {"eval_files": "--eval", "names_file": "--names-file"}


def recipe_inputs(recipe: Recipe) -> list[Labelled]:
    """Files named by stage parameters (``--eval``, ``--names-file``): inputs too."""
    found: list[Labelled] = []
    for spec in recipe.stages:
        for param, label in _INPUT_PARAMS.items():
            value = spec.params.get(param) if spec.enabled else None
            values = value if isinstance(value, list) else [value]
            found.extend((f"{label} file", Path(v)) for v in values if v)
    return found


def planned_outputs(
    recipe: Recipe, output: Path | None, report_path: Path | None, rejects_path: Path | None
) -> list[Labelled]:
    """Every file a chat/clean run may write: splits, their sidecars, report, rejects."""
    found: list[Labelled] = [("--report", report_path), ("--rejects", rejects_path)]
    if output is None:
        return found
    split = recipe.has("split") and recipe.spec("split").enabled
    writes_sidecars = recipe.has("write_conversations")
    for name, path in split_output_paths(output, SPLITS if split else SPLITS[:1]).items():
        label = "--out" if name == SPLITS[0] else f"the {name} split of --out"
        found.append((label, path))
        if writes_sidecars:
            found.append((f"the sources sidecar of {label}", beside(path, "sources.jsonl")))
    return found


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
    engine: Engine | None = None,
) -> RunResult:
    """The end of ``chat`` and ``clean``: ``--set`` overrides, then the run, reported beside --out."""
    recipe = apply_overrides(recipe, overrides)
    ensure_output_folders(out, report_path, rejects_path)
    return run_pipeline(
        recipe,
        inputs=list(paths),
        output=out,
        report_path=report_path or default_report_path(out),
        rejects_path=rejects_path,
        seed=seed,
        quiet=quiet,
        engine=engine,
    )


def print_summary(result: RunResult, report_path: Path | None) -> None:
    """A small table of per-stage counts on stderr (no personal data: counts only)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(
        title=f"dataprep {result.report['recipe']['name']}",
        caption="in/out: rows each stage received and passed on, in its unit; a writer's out is what it wrote",
        show_lines=False,
    )
    table.add_column("stage")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("rejected (reason: count)")
    table.add_column("s", justify="right")
    unit_in = ""
    for key, counts in result.report["stages"].items():
        reasons = ", ".join(f"{r}: {n}" for r, n in counts["rejected"].items())
        unit = counts.get("unit", "rows")
        sink = counts.get("kind") == "sink"
        written = counts["rows_in"] - sum(counts["rejected"].values())
        out = f"{written:,} {unit} written" if sink else f"{counts['rows_out']:,} {unit}"
        table.add_row(
            key,
            f"{counts['rows_in']:,} {unit_in}".strip() if unit_in else "",
            out,
            reasons,
            f"{counts['seconds']:.2f}",
        )
        unit_in = unit
    console.print(table)
    for writer, details in result.report.get("details", {}).items():
        splits = details.get("samples") if isinstance(details, dict) else None
        if isinstance(splits, dict) and splits:
            shown = ", ".join(f"{name} {n:,}" for name, n in splits.items())
            console.print(f"{writer} samples per split: {shown}")
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
