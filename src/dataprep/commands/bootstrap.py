"""``dataprep bootstrap``: synthetic SFT/DPO/KTO rows from seed examples and an LLM endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import (
    RichProgress,
    param_help,
    report_page_choices,
    report_page_options,
)

_TASKS = ("sft", "dpo", "kto", "dpo-from-sft")


def _text_or_file(value: str | None) -> str | None:
    """``@path`` reads the text from a file (like curl); anything else is the text itself."""
    if value is None or not value.startswith("@"):
        return value
    from dataprep.io import read_text

    return read_text(Path(value[1:]))


@click.command("bootstrap")
@click.argument("seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--n",
    "n",
    type=int,
    help="Rows to generate (required except for --task dpo-from-sft, where it caps the input rows).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL file (required unless --dry-run).",
)
@click.option(
    "--task",
    type=click.Choice(_TASKS),
    help=param_help("generate", "task"),
)
@click.option("--model", required=True, help="Model name the endpoint serves (e.g. gpt-4o-mini).")
@click.option(
    "--base-url",
    help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (default: the SDK's, or $OPENAI_BASE_URL).",
)
@click.option(
    "--api-key-env",
    help=param_help("generate", "api_key_env"),
)
@click.option(
    "--concurrency",
    type=int,
    help=param_help("generate", "concurrency"),
)
@click.option("--rpm", type=float, help="Requests-per-minute limit.")
@click.option(
    "--tpm",
    type=float,
    help="Tokens-per-minute limit (prompt estimate plus --max-tokens per request).",
)
@click.option(
    "--max-retries",
    type=int,
    help=param_help("generate", "max_retries"),
)
@click.option(
    "--retry-delay",
    type=float,
    help=param_help("generate", "retry_delay"),
)
@click.option(
    "--timeout",
    type=float,
    help=param_help("generate", "timeout"),
)
@click.option(
    "--prices",
    metavar="IN,OUT",
    help="Dollars per million input and output tokens, e.g. 0.15,0.60.",
)
@click.option(
    "--max-budget",
    type=float,
    help="Stop before spending more than this many dollars (needs --prices).",
)
@click.option(
    "--max-requests", type=int, help="Give up after this many requests (default: 3 x --n + 10)."
)
@click.option("--dry-run", is_flag=True, help="Estimate calls, tokens and cost; send nothing.")
@click.option(
    "--seed",
    type=int,
    help=param_help("generate", "seed"),
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Request cache (default: ~/.cache/dataprep/bootstrap); reruns and resumes replay it.",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not read or write the request cache (no resume)."
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="User prompt template with $examples, $schema and $task.",
)
@click.option(
    "--system",
    "--persona",
    "system",
    help="System prompt / persona for every request; @FILE reads it from a file.",
)
@click.option(
    "--temperature",
    type=float,
    help=param_help("generate", "temperature"),
)
@click.option(
    "--max-tokens",
    type=int,
    help=param_help("generate", "max_tokens"),
)
@click.option(
    "--window",
    type=int,
    help=param_help("generate", "window"),
)
@click.option(
    "--max-tokens-field",
    type=click.Choice(["max_tokens", "max_completion_tokens"]),
    help=param_help("generate", "max_tokens_field"),
)
@click.option(
    "--structured",
    type=click.Choice(["auto", "json_schema", "json_object", "text"]),
    help=param_help("generate", "structured"),
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write rejected replies with their reason to this JSONL file.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON report (default: OUT with .report.json).",
)
@click.option(
    "--recipe",
    "recipe_name",
    metavar="NAME_OR_FILE",
    help="Run the generated rows through a recipe: bootstrap (pipelines/bootstrap.yaml: PII "
    "scrubbing and train/val/test splits) or your copy of it; the generate stage takes these options.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display or summary.")
@report_page_options
def command(
    seeds: Path,
    out: Path | None,
    recipe_name: str | None,
    dry_run: bool,
    quiet: bool,
    prices: str | None,
    template: Path | None,
    system: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    rejects: Path | None,
    report: Path | None,
    **options: Any,
) -> None:
    """Generate synthetic training rows in the style of SEEDS (JSONL).

    SEEDS holds conversations (OpenAI messages or ShareGPT), DPO rows or KTO rows. Each
    request shows the model a few seeds plus some accepted rows; every reply is validated,
    checked for near duplicates and cached, so a rerun repeats no finished request.
    """
    from dataprep.bootstrap import BootstrapConfig, estimate_bootstrap, run_bootstrap
    from dataprep.bootstrap.cost import Prices
    from dataprep.bootstrap.templates import load_template
    from dataprep.errors import ConfigError

    if out is not None:
        from dataprep.bootstrap.run import check_bootstrap_paths

        extra = [("--template", template)]
        if system is not None and system.startswith("@"):
            extra.append(("--system", Path(system[1:])))
        check_bootstrap_paths(
            seeds,
            out,
            rejects,
            report,
            extra_inputs=extra,
            html_report=report_page_choices()["html_report"],
        )
    parsed = Prices.parse(prices) if prices else None
    config = BootstrapConfig.make(
        **options,
        prices=(parsed.input_per_million, parsed.output_per_million) if parsed else None,
        template=load_template(template) if template else None,
        system=_text_or_file(system),
        cache_dir=cache_dir,
        use_cache=not no_cache,
    )
    if dry_run:
        _print_estimate(estimate_bootstrap(config, seeds))
        return
    if out is None:
        raise ConfigError("--out is required (or pass --dry-run)")
    if recipe_name is not None:
        _run_recipe(recipe_name, config, seeds, out, rejects, report, quiet)
        return
    progress = RichProgress(enabled=not quiet)
    try:
        result = run_bootstrap(
            config,
            seeds,
            out,
            rejects=rejects,
            report=report,
            progress=progress,
            **report_page_choices(),
        )
    except KeyboardInterrupt:
        if config.use_cache:
            click.echo(
                "Finished requests are cached: run the same command again to resume.", err=True
            )
        raise
    if not quiet:
        _print_summary(result.report)


def _run_recipe(
    name: str,
    config: Any,
    seeds: Path,
    out: Path,
    rejects: Path | None,
    report: Path | None,
    quiet: bool,
) -> None:
    """Generate inside a recipe (``generate`` -> ... -> ``write_records``), with the shared report."""
    from dataprep.commands._common import default_report_path, run_pipeline
    from dataprep.recipe import load_recipe

    recipe = load_recipe(name).configure("generate", "--recipe", **config.model_dump(mode="json"))
    run_pipeline(
        recipe,
        inputs=[seeds],
        output=out,
        report_path=report or default_report_path(out),
        rejects_path=rejects,
        seed=config.seed,
        quiet=quiet,
    )


def _print_estimate(estimate: dict[str, Any]) -> None:
    click.echo(
        f"task {estimate['task']}: about {estimate['requests']} requests (at most {estimate['max_requests']})"
    )
    click.echo(
        f"  prompt tokens:     ~{estimate['prompt_tokens']:,} (~{estimate['prompt_tokens_per_request']:,} per request)"
    )
    click.echo(
        f"  completion tokens: ~{estimate['completion_tokens']:,} (~{estimate['completion_tokens_per_request']:,}"
        f" per request, at most {estimate['max_completion_tokens_per_request']:,})"
    )
    if estimate["cost"] is None:
        click.echo("  cost: pass --prices IN,OUT (dollars per million tokens) for an estimate")
    else:
        click.echo(
            f"  cost: ~${estimate['cost']:.4f} (worst case ${estimate['cost_worst_case']:.4f})"
        )
    if estimate["skipped_input_rows"]:
        click.echo(f"  input rows skipped: {estimate['skipped_input_rows']}")


def _print_summary(report: dict[str, Any]) -> None:
    """Counts only on stderr: no generated text, no key."""
    from rich.console import Console

    console = Console(stderr=True)
    generated = report["details"]["generate"]
    usage = generated["usage"]
    console.print(
        f"bootstrap: {generated['accepted']} of {generated['target']} rows accepted from "
        f"{usage['requests']} requests ({usage['cached_requests']} from cache), stop: {generated['stop_reason']}"
    )
    for label, counts in (("rejected", generated["rejected"]), ("retried", generated["retries"])):
        if counts:
            console.print(f"{label}: " + ", ".join(f"{r}: {n}" for r, n in counts.items()))
    tokens = f"tokens: {usage['prompt_tokens']:,} in, {usage['completion_tokens']:,} out"
    if usage["cost"] is not None:
        tokens += f"; cost ${usage['cost']:.4f} (this run ${usage['cost_this_run']:.4f})"
    console.print(tokens)
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for path in report.get("outputs", []):
        console.print(f"wrote {path}")
