"""``dataprep clean``: dedupe, scrub PII and split a conversation JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import (
    apply_overrides,
    engine_options,
    pipeline_options,
    pop_engine,
    resolve_recipe,
    run_file_pipeline,
    run_pipeline,
    shard_option,
)
from dataprep.commands._safety import apply_safety_options, pop_safety_options, safety_options
from dataprep.errors import ConfigError
from dataprep.recipe import Recipe
from dataprep.report.dataset import dataset_files


@click.command("clean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL (train split). val/test files are written beside it; with --engine ray, shards of each split (train-00000-of-00003.jsonl ...) in its folder.",
)
@click.option(
    "--pii-preview",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Dry run: write the table --pii-audit would write to FILE and nothing else (no data outputs).",
)
@safety_options
@engine_options
@shard_option
@pipeline_options
def command(paths: tuple[Path, ...], out: Path, pii_preview: Path | None, **options: Any) -> None:
    """Dedupe, scrub PII and split conversation JSONL (ShareGPT, OpenAI messages, DPO, alpaca).

    Records are written back in their own format with only the scrubbed texts changed:
    train to --out, val and test beside it (train.jsonl -> val.jsonl, test.jsonl;
    data.jsonl -> data.val.jsonl, data.test.jsonl). With --engine ray, each split is
    written as shards (train-00000-of-00003.jsonl ...; docs/ray.md).

    PATHS are JSONL files, folders of them (a sharded output: every dataset file in it,
    not sidecars, reports or rejects) or quoted glob patterns ('out/train-*-of-*.jsonl').

    Example: dataprep clean chats.jsonl --out clean/train.jsonl --eval my_eval.jsonl
    """
    paths = tuple(dataset_files(list(paths)))
    safety = pop_safety_options(options)
    engine = pop_engine(options)
    recipe = resolve_recipe("clean", options.pop("recipe_path"))
    recipe = apply_safety_options(recipe, **safety)
    if pii_preview is None:
        run_file_pipeline(recipe, paths, out, engine=engine, **options)
        return
    run_pipeline(
        preview_recipe(apply_overrides(recipe, options["overrides"]), pii_preview),
        inputs=list(paths),
        output=None,
        report_path=None,
        rejects_path=options["rejects_path"],
        seed=options["seed"],
        quiet=options["quiet"],
        engine=engine,
    )


def preview_recipe(recipe: Recipe, audit: Path) -> Recipe:
    """The recipe up to its PII stage, writing only the audit table: a dry run."""
    keys = [spec.key for spec in recipe.stages if spec.enabled]
    pii = [key for key in recipe.addressed("pii") if key in keys]
    if not pii:
        raise ConfigError(
            "--pii-preview: the recipe has no enabled PII stage",
            hint="Leave out --no-pii, or add scrub_pii to the recipe",
        )
    recipe = recipe.configure("pii", "--pii-preview", audit_path=str(audit))
    for key in keys[keys.index(pii[-1]) + 1 :]:
        recipe = recipe.with_enabled(key, False)
    return recipe
