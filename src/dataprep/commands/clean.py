"""``dataprep clean``: dedupe, scrub PII and split a conversation JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import pipeline_options, resolve_recipe, run_file_pipeline
from dataprep.commands._safety import apply_safety_options, pop_safety_options, safety_options


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
def command(paths: tuple[Path, ...], out: Path, **options: Any) -> None:
    """Dedupe, scrub PII and split conversation JSONL (ShareGPT, OpenAI messages, DPO, alpaca).

    Records are written back in their own format with only the scrubbed texts changed:
    train to --out, val and test beside it (train.jsonl -> val.jsonl, test.jsonl;
    data.jsonl -> data.val.jsonl, data.test.jsonl).

    Example: dataprep clean chats.jsonl --out clean/train.jsonl --eval my_eval.jsonl
    """
    safety = pop_safety_options(options)
    recipe = resolve_recipe("clean", options.pop("recipe_path"))
    run_file_pipeline(apply_safety_options(recipe, **safety), paths, out, **options)
