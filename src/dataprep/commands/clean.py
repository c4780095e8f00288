"""``dataprep clean``: dedupe, scrub PII and split a conversation JSONL file."""

from __future__ import annotations

from pathlib import Path

import click

from dataprep.commands._common import (
    apply_overrides,
    pipeline_options,
    resolve_recipe,
    run_pipeline,
)
from dataprep.errors import ConfigError

_STRATEGIES = ["placeholder", "pseudonym", "hash"]


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``0.9/0.05/0.05`` (or commas) -> three shares that add up to 1."""
    parts = text.replace(",", "/").split("/")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise ConfigError(
            f"--split {text!r}: expected three shares adding up to 1",
            hint="For example --split 0.9/0.05/0.05",
        )
    return values[0], values[1], values[2]


def default_report_path(out: Path) -> Path:
    name = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.stem
    return out.with_name(f"{name}.report.json")


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
    "--split",
    "split_ratios",
    default=None,
    metavar="TRAIN/VAL/TEST",
    help="Split shares, e.g. 0.9/0.05/0.05 (the default); 1/0/0 keeps everything in train.",
)
@click.option("--no-split", is_flag=True, help="Write one file, no train/val/test split.")
@click.option("--no-dedupe", is_flag=True, help="Keep exact and near duplicates.")
@click.option("--no-pii", is_flag=True, help="Do not scrub personal data.")
@click.option(
    "--pii-strategy",
    type=click.Choice(_STRATEGIES),
    default=None,
    help="placeholder (<PERSON>), pseudonym (<PERSON_1> per conversation) or hash (keyed with $DATAPREP_PII_KEY).",
)
@click.option(
    "--pii-entities",
    default=None,
    metavar="TYPE,TYPE",
    help="Entity types to scrub (default: PERSON,EMAIL_ADDRESS,PHONE_NUMBER,CREDIT_CARD,IBAN_CODE,IP_ADDRESS,CN_RESIDENT_ID,US_SSN,UK_NHS,CRYPTO).",
)
@click.option(
    "--allow",
    "allow_list",
    multiple=True,
    metavar="VALUE",
    help="A value never scrubbed; repeatable.",
)
@click.option(
    "--names-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Extra names to scrub, one per line.",
)
@click.option(
    "--threshold", type=float, default=None, help="Near-duplicate Jaccard threshold (default 0.8)."
)
@click.option(
    "--max-reply-repeats",
    type=int,
    default=None,
    help="Keep at most N samples ending in the same assistant reply (default 10; 0 = no cap).",
)
@click.option(
    "--eval",
    "eval_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Evaluation file to decontaminate against; repeatable.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where dedupe and split spool rows while they wait (default: the system temp folder).",
)
@pipeline_options
def command(
    paths: tuple[Path, ...],
    out: Path,
    split_ratios: str | None,
    no_split: bool,
    no_dedupe: bool,
    no_pii: bool,
    pii_strategy: str | None,
    pii_entities: str | None,
    allow_list: tuple[str, ...],
    names_file: Path | None,
    threshold: float | None,
    max_reply_repeats: int | None,
    eval_files: tuple[Path, ...],
    cache_dir: Path | None,
    recipe_path: Path | None,
    overrides: tuple[str, ...],
    rejects_path: Path | None,
    report_path: Path | None,
    seed: int | None,
    quiet: bool,
) -> None:
    """Dedupe, scrub PII and split conversation JSONL (ShareGPT, OpenAI messages, DPO).

    Records are written back in their own format with only the scrubbed texts changed:
    train to --out, val and test beside it (train.jsonl -> val.jsonl, test.jsonl;
    data.jsonl -> data.val.jsonl, data.test.jsonl).

    Example: dataprep clean chats.jsonl --out clean/train.jsonl --eval my_eval.jsonl
    """
    recipe = resolve_recipe("clean", recipe_path)
    if split_ratios is not None:
        train, val, test = parse_ratios(split_ratios)
        recipe = recipe.with_params("split", train=train, val=val, test=test)
    recipe = recipe.with_params("dedupe", threshold=threshold, max_reply_repeats=max_reply_repeats)
    entities = [e.strip() for e in pii_entities.split(",") if e.strip()] if pii_entities else None
    recipe = recipe.with_params(
        "scrub_pii",
        strategy=pii_strategy,
        entities=entities,
        allow_list=list(allow_list) or None,
        names_file=str(names_file) if names_file else None,
    )
    recipe = recipe.with_params("decontaminate", eval_files=[str(p) for p in eval_files] or None)
    for flag, key in ((no_split, "split"), (no_dedupe, "dedupe"), (no_pii, "scrub_pii")):
        if flag:
            recipe = recipe.with_enabled(key, False)
    recipe = apply_overrides(recipe, overrides)
    run_pipeline(
        recipe,
        inputs=list(paths),
        output=out,
        report_path=report_path or default_report_path(out),
        rejects_path=rejects_path,
        seed=seed,
        quiet=quiet,
        cache_dir=cache_dir,
    )
