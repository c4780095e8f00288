"""Options shared by ``dataprep chat`` and ``dataprep clean``: dedupe, PII, splits, decontamination."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dataprep.clean.scrub import DEFAULT_ENTITIES
from dataprep.errors import ConfigError
from dataprep.recipe import Recipe

__all__ = ["apply_safety_options", "parse_ratios", "safety_options"]

F = TypeVar("F", bound=Callable[..., Any])

STRATEGIES = ["placeholder", "pseudonym", "hash"]


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


def safety_options(func: F) -> F:
    """The dedupe / PII / split / decontamination options, in help order."""
    options = [
        click.option(
            "--split",
            "split_ratios",
            default=None,
            metavar="TRAIN/VAL/TEST",
            help="Split shares, e.g. 0.9/0.05/0.05 (the default); 1/0/0 keeps everything in train.",
        ),
        click.option("--no-split", is_flag=True, help="Write one file, no train/val/test split."),
        click.option("--no-dedupe", is_flag=True, help="Keep exact and near duplicates."),
        click.option("--no-pii", is_flag=True, help="Do not scrub personal data."),
        click.option(
            "--pii-strategy",
            type=click.Choice(STRATEGIES),
            default=None,
            help="placeholder (<PERSON>), pseudonym (<PERSON_1> per conversation) or hash (keyed with $DATAPREP_PII_KEY).",
        ),
        click.option(
            "--pii-entities",
            default=None,
            metavar="TYPE,TYPE",
            help=f"Entity types to scrub (default: {','.join(DEFAULT_ENTITIES)}).",
        ),
        click.option(
            "--allow",
            "allow_list",
            multiple=True,
            metavar="VALUE",
            help="A value never scrubbed; repeatable.",
        ),
        click.option(
            "--names",
            "--names-file",
            "names_file",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Extra names and nicknames to scrub, one person per line (aliases of one person separated by commas).",
        ),
        click.option(
            "--pii-audit",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Write every replaced value with its type, language and count to FILE (readable by you only; holds personal data).",
        ),
        click.option(
            "--threshold",
            type=float,
            default=None,
            help="Near-duplicate Jaccard threshold (default 0.8).",
        ),
        click.option(
            "--max-reply-repeats",
            type=int,
            default=None,
            help="Keep at most N samples ending in the same assistant reply (default 10; 0 = no cap).",
        ),
        click.option(
            "--eval",
            "eval_files",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Evaluation file to decontaminate against; repeatable.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Where dedupe and split spool rows while they wait (default: the system temp folder).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def apply_safety_options(
    recipe: Recipe,
    *,
    split_ratios: str | None,
    no_split: bool,
    no_dedupe: bool,
    no_pii: bool,
    pii_strategy: str | None,
    pii_entities: str | None,
    allow_list: tuple[str, ...],
    names_file: Path | None,
    pii_audit: Path | None,
    threshold: float | None,
    max_reply_repeats: int | None,
    eval_files: tuple[Path, ...],
    cache_dir: Path | None = None,
) -> Recipe:
    """Turn the safety options into stage parameters of ``recipe`` (``cache_dir`` is a run
    setting, not a parameter, and is ignored here)."""
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
        audit_path=str(pii_audit) if pii_audit else None,
    )
    if eval_files:
        recipe = recipe.with_params("decontaminate", eval_files=[str(p) for p in eval_files])
    for flag, key in ((no_split, "split"), (no_dedupe, "dedupe"), (no_pii, "scrub_pii")):
        if flag:
            recipe = recipe.with_enabled(key, False)
    return recipe
