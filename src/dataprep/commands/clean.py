"""``dataprep clean``: dedupe, scrub PII and split a conversation JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import (
    apply_overrides,
    default_report_path,
    pipeline_options,
    resolve_recipe,
    run_pipeline,
)
from dataprep.commands._safety import apply_safety_options, safety_options
from dataprep.errors import ConfigError
from dataprep.recipe import Recipe


@click.command("clean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL (train split). val/test files are written beside it.",
)
@click.option(
    "--pii-preview",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Dry run: write the table --pii-audit would write to FILE and nothing else (no data outputs).",
)
@safety_options
@pipeline_options
def command(
    paths: tuple[Path, ...],
    out: Path,
    recipe_path: Path | None,
    overrides: tuple[str, ...],
    rejects_path: Path | None,
    report_path: Path | None,
    seed: int | None,
    quiet: bool,
    pii_preview: Path | None,
    **safety: Any,
) -> None:
    """Dedupe, scrub PII and split conversation JSONL (ShareGPT, OpenAI messages, DPO).

    Records are written back in their own format with only the scrubbed texts changed:
    train to --out, val and test beside it (train.jsonl -> val.jsonl, test.jsonl;
    data.jsonl -> data.val.jsonl, data.test.jsonl).

    Example: dataprep clean chats.jsonl --out clean/train.jsonl --eval my_eval.jsonl
    """
    recipe = apply_safety_options(resolve_recipe("clean", recipe_path), **safety)
    recipe = apply_overrides(recipe, overrides)
    if pii_preview is not None:
        recipe = preview_recipe(recipe, pii_preview)
    run_pipeline(
        recipe,
        inputs=list(paths),
        output=None if pii_preview else out,
        report_path=None if pii_preview else report_path or default_report_path(out),
        rejects_path=rejects_path,
        seed=seed,
        quiet=quiet,
        cache_dir=safety.pop("cache_dir"),
    )


def preview_recipe(recipe: Recipe, audit: Path) -> Recipe:
    """The recipe up to ``scrub_pii``, writing only its audit table: a dry run."""
    keys = [spec.key for spec in recipe.stages if spec.enabled]
    if "scrub_pii" not in keys:
        raise ConfigError(
            "--pii-preview needs the scrub_pii stage", hint="Remove --no-pii or add scrub_pii"
        )
    recipe = recipe.with_params("scrub_pii", audit_path=str(audit))
    for key in keys[keys.index("scrub_pii") + 1 :]:
        recipe = recipe.with_enabled(key, False)
    return recipe
