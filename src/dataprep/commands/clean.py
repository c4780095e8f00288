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


@click.command("clean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL (train split). val/test files are written beside it.",
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
    run_pipeline(
        recipe,
        inputs=list(paths),
        output=out,
        report_path=report_path or default_report_path(out),
        rejects_path=rejects_path,
        seed=seed,
        quiet=quiet,
        cache_dir=safety.pop("cache_dir"),
    )
