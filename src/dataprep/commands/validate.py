"""``dataprep validate``: lint JSONL datasets against what trainers accept, for people and CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dataprep.formats import trainer_layout_names
from dataprep.validate.formats import PROFILES

if TYPE_CHECKING:
    from dataprep.validate.engine import Report, TrainerRows
    from dataprep.validate.estimate import Estimate
    from dataprep.validate.lengths import LengthChecker

_FORMAT_CHOICES = ["auto", *PROFILES]


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "profile",
    type=click.Choice(_FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="Trainer profile to check against; auto detects it from the first row and says what it found.",
)
@click.option(
    "--profile",
    "trainer",
    type=click.Choice(["trl", *trainer_layout_names()]),
    default="trl",
    show_default=True,
    help="Trainer whose loading rules apply. llamafactory reads --dataset-info, axolotl --axolotl-config.",
)
@click.option(
    "--dataset-info",
    type=click.Path(dir_okay=False, path_type=Path),
    help="LLaMA-Factory dataset_info.json describing the file (columns, tags, formatting, ranking).",
)
@click.option(
    "--axolotl-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Axolotl config YAML whose datasets: entry describes the file.",
)
@click.option(
    "--dataset",
    "dataset_name",
    help="Which dataset_info.json entry (name) or Axolotl datasets: entry (position from 0) to use.",
)
@click.option(
    "--output-format",
    type=click.Choice(["human", "json", "github", "sarif"]),
    default="human",
    show_default=True,
    help="human: grouped text; json; github: workflow annotations; sarif: code scanning.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option(
    "--against",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Evaluation JSONL file; rows whose prompt appears in it are errors (D002).",
)
@click.option(
    "--tokenizer",
    type=click.Path(path_type=Path),
    help="Local tokenizer folder (or tokenizer.json) with a chat template: render every row as the trainer does and predict truncated, dropped and unlearnable rows.",
)
@click.option(
    "--max-length",
    type=click.IntRange(min=1),
    default=None,
    help="Token limit of the trainer (default with --tokenizer: 1024, TRL's default max_length).",
)
@click.option(
    "--chat-template",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Jinja chat template file (default: the one in tokenizer_config.json beside the tokenizer).",
)
@click.option(
    "--assistant-only-loss",
    is_flag=True,
    help="With --tokenizer: you train with assistant_only_loss=True; rows with no assistant token to learn fail (L004).",
)
@click.option(
    "--vision-model",
    is_flag=True,
    help="The model is a vision-language model, so image/images columns are expected (no V001).",
)
@click.option(
    "--estimate",
    "estimate_run",
    is_flag=True,
    help="Also estimate training tokens, GPU-hours per GPU type, peak memory and cost.",
)
@click.option("--model-size", help="Parameters of the model to train, e.g. 8B, 1.5B, 500M.")
@click.option(
    "--epochs",
    type=click.FloatRange(min=0, min_open=True),
    default=3,
    show_default=True,
    help="Epochs, for --estimate.",
)
@click.option(
    "--method",
    type=click.Choice(["lora", "qlora", "full"]),
    default="lora",
    show_default=True,
    help="Fine-tuning method, for --estimate.",
)
@click.option(
    "--prices",
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSON file of USD per GPU-hour overriding the default table, e.g. {"A100-80GB": 1.2}.',
)
@click.option(
    "--max-per-rule",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Findings shown per rule in human output (every finding is counted).",
)
def command(
    files: tuple[Path, ...],
    profile: str,
    trainer: str,
    dataset_info: Path | None,
    axolotl_config: Path | None,
    dataset_name: str | None,
    output_format: str,
    output_path: Path | None,
    strict: bool,
    against: Path | None,
    tokenizer: Path | None,
    max_length: int | None,
    chat_template: Path | None,
    assistant_only_loss: bool,
    vision_model: bool,
    estimate_run: bool,
    model_size: str | None,
    epochs: float,
    method: str,
    prices: Path | None,
    max_per_rule: int,
) -> None:
    """Check every row of JSONL FILES against what a trainer (TRL) will do with it.

    FILES may be folders (every dataset file in them: a sharded output's shards, a run's
    split files; not sidecars, reports or rejects) and quoted glob patterns
    ('out/train-*-of-*.jsonl'). Exit code 0 clean, 1 violations (errors, or warnings with
    --strict), 2 could not run.
    """
    from dataprep.errors import ConfigError, InputError, OutputError
    from dataprep.guard import Labelled, check_paths, prepare_outputs
    from dataprep.io import atomic_write
    from dataprep.report.dataset import dataset_files
    from dataprep.validate.output import render, step_summary
    from dataprep.validate.reader import validate_file

    if (max_length is not None or assistant_only_loss) and tokenizer is None:
        raise ConfigError(
            "--max-length and --assistant-only-loss need --tokenizer",
            hint="Pass a local tokenizer folder with --tokenizer",
        )
    files = tuple(dataset_files(list(files)))
    if not files:
        raise InputError(
            "no dataset file found", hint="Pass JSONL files or a folder that holds them"
        )
    inputs: list[Labelled] = [("an input", p) for p in files]
    inputs += [
        ("--against", against),
        ("--tokenizer", tokenizer),
        ("--chat-template", chat_template),
        ("--dataset-info", dataset_info),
        ("--axolotl-config", axolotl_config),
    ]
    check_paths(inputs, [("--output", output_path)])
    prepare_outputs([output_path])
    if estimate_run and model_size is None:
        raise ConfigError("--estimate needs --model-size", hint="Pass e.g. --model-size 8B")
    loaded = _load_tokenizer(tokenizer, chat_template)
    reports = []
    for path in files:
        checker = _length_checker(loaded, max_length, assistant_only_loss)
        report = validate_file(
            path,
            profile,
            against=against,
            row_hook=checker,
            vision_model=vision_model,
            trainer_rows=_trainer_rows(trainer, path, dataset_info, axolotl_config, dataset_name),
        )
        if checker is not None and (summary := checker.summary()):
            report.notes.append(summary)
        if estimate_run and model_size is not None:
            report.estimate = _estimate(path, report, checker, model_size, epochs, method, prices)
        reports.append(report)
    text = render(reports, output_format, strict=strict, per_rule=max_per_rule)
    if output_path is not None:
        with atomic_write(output_path) as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if output_format == "github" and summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write("".join(step_summary(report, strict) for report in reports))
        except OSError as error:
            raise OutputError(
                f"{summary_path}: cannot append the step summary ({error.strerror})"
            ) from None
    if any(report.exit_code(strict) for report in reports):
        # SystemExit, not click.exceptions.Exit: click returns Exit codes from main() in
        # non-standalone mode, which run_main and embedding callers would ignore.
        raise SystemExit(1)


def _estimate(
    path: Path,
    report: Report,
    checker: LengthChecker | None,
    model_size: str,
    epochs: float,
    method: str,
    prices: Path | None,
) -> Estimate:
    from dataprep.validate.estimate import estimate, load_prices, parse_model_size

    if checker is not None and checker.lengths:
        tokens, exact = checker.stats.trained, True
        longest = max(checker.lengths, default=checker.max_length)
        sequence = min(checker.max_length, longest)
    else:
        tokens, exact, sequence = path.stat().st_size // 4, False, 1024
    return estimate(
        tokens_per_epoch=tokens,
        parameters=parse_model_size(model_size),
        epochs=epochs,
        method=method,
        profile=report.profile,
        rows=report.rows,
        sequence=sequence,
        tokens_exact=exact,
        gpus=load_prices(prices),
    )


def _trainer_rows(
    trainer: str,
    path: Path,
    dataset_info: Path | None,
    axolotl_config: Path | None,
    dataset_name: str | None,
) -> TrainerRows | None:
    from dataprep.errors import ConfigError

    if trainer == "trl":
        if dataset_info or axolotl_config:
            raise ConfigError(
                "--dataset-info and --axolotl-config need --profile llamafactory or axolotl"
            )
        return None
    if trainer == "llamafactory":
        from dataprep.validate.llamafactory import LlamaFactoryRows, load_dataset_info

        attr = load_dataset_info(dataset_info, dataset_name, path) if dataset_info else None
        return LlamaFactoryRows(attr)
    from dataprep.validate.axolotl import AxolotlRows, load_axolotl_config

    if axolotl_config is None:
        raise ConfigError(
            "--profile axolotl needs --axolotl-config", hint="Pass your Axolotl config YAML"
        )
    index = None
    if dataset_name is not None:
        if not dataset_name.isdigit():
            raise ConfigError("--dataset for Axolotl is a position from 0", hint="e.g. --dataset 0")
        index = int(dataset_name)
    return AxolotlRows(load_axolotl_config(axolotl_config, path, index))


def _load_tokenizer(tokenizer: Path | None, chat_template: Path | None) -> object | None:
    if tokenizer is None:
        return None
    from dataprep.validate.lengths import load_tokenizer

    return load_tokenizer(tokenizer, chat_template)


def _length_checker(
    tokenizer: object | None, max_length: int | None, assistant_only_loss: bool
) -> LengthChecker | None:
    if tokenizer is None:
        return None
    from dataprep.validate.lengths import DEFAULT_MAX_LENGTH, LengthChecker

    return LengthChecker(
        tokenizer, max_length or DEFAULT_MAX_LENGTH, assistant_only_loss=assistant_only_loss
    )
