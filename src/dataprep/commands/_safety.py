"""Options shared by ``dataprep chat`` and ``dataprep clean``: dedupe, PII, splits, decontamination."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dataprep.clean.scrub import DEFAULT_ENTITIES
from dataprep.commands._common import param_help
from dataprep.errors import ConfigError
from dataprep.recipe import Recipe

__all__ = ["apply_safety_options", "parse_ratios", "pop_safety_options", "safety_options"]

#: Parameter names of the options ``safety_options`` adds.
SAFETY_KEYS = (
    "split_ratios",
    "no_split",
    "no_dedupe",
    "no_pii",
    "pii_strategy",
    "pii_entities",
    "allow_list",
    "names_file",
    "pii_audit",
    "threshold",
    "max_reply_repeats",
    "eval_files",
)


def pop_safety_options(options: dict[str, Any]) -> dict[str, Any]:
    """Take the safety options out of a command's keyword arguments."""
    return {key: options.pop(key) for key in SAFETY_KEYS}


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
            help=param_help("dedupe", "threshold"),
        ),
        click.option(
            "--max-reply-repeats",
            type=int,
            default=None,
            help=param_help("dedupe", "max_reply_repeats"),
        ),
        click.option(
            "--eval",
            "eval_files",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Evaluation file to decontaminate against; repeatable.",
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
) -> Recipe:
    """Turn the safety options into stage parameters of ``recipe``."""
    if split_ratios is not None:
        train, val, test = parse_ratios(split_ratios)
        recipe = recipe.configure("split", "--split", train=train, val=val, test=test)
    recipe = recipe.configure("dedupe", "--threshold", threshold=threshold)
    recipe = recipe.configure("dedupe", "--max-reply-repeats", max_reply_repeats=max_reply_repeats)
    entities = [e.strip() for e in pii_entities.split(",") if e.strip()] if pii_entities else None
    recipe = recipe.configure("pii", "--pii-strategy", strategy=pii_strategy)
    recipe = recipe.configure("pii", "--pii-entities", entities=entities)
    recipe = recipe.configure("pii", "--allow", allow_list=list(allow_list) or None)
    recipe = recipe.configure("pii", "--names", names_file=str(names_file) if names_file else None)
    recipe = recipe.configure(
        "pii", "--pii-audit", audit_path=str(pii_audit) if pii_audit else None
    )
    recipe = recipe.configure(
        "decontaminate", "--eval", eval_files=[str(p) for p in eval_files] or None
    )
    for flag, capability, option in (
        (no_split, "split", "--no-split"),
        (no_dedupe, "dedupe", "--no-dedupe"),
        (no_pii, "pii", "--no-pii"),
    ):
        if flag:
            recipe = recipe.disable(capability, option)
    return recipe
