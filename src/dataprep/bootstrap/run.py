"""``run_bootstrap``: the one library call behind ``dataprep bootstrap``, and its dry run.

It reads the seeds (or the SFT file for ``dpo-from-sft``), builds the job, runs the engine
and writes the rows, a provenance sidecar (one line per row), the rejects and the report
through ``RunContext.outputs``: all of them appear together at the end or not at all.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataprep.bootstrap.cache import RequestCache, default_cache_dir
from dataprep.bootstrap.client import ChatModel, OpenAIChatModel
from dataprep.bootstrap.cost import Budget, Prices, estimate_tokens
from dataprep.bootstrap.dedupe import SimilarTextIndex
from dataprep.bootstrap.engine import STAGE, Engine
from dataprep.bootstrap.jobs import GenerateJob, PreferenceFromSftJob, read_sft_items
from dataprep.bootstrap.limits import RateLimiter, RetryPolicy
from dataprep.bootstrap.tasks import load_seeds
from dataprep.bootstrap.templates import (
    DEFAULT_TEMPLATE,
    check_template,
    default_system,
    template_hash,
)
from dataprep.context import RunContext
from dataprep.errors import ConfigError, EndpointError, OutputError
from dataprep.guard import Labelled, check_paths, prepare_outputs
from dataprep.io import beside
from dataprep.progress import NullProgress, Progress
from dataprep.stage import format_validation_error

if TYPE_CHECKING:
    from dataprep.recipe import Recipe

__all__ = [
    "BootstrapConfig",
    "BootstrapResult",
    "check_bootstrap_paths",
    "estimate_bootstrap",
    "plain_recipe",
    "run_bootstrap",
    "sidecar_paths",
]


class BootstrapConfig(BaseModel):
    """Everything a bootstrap run depends on except the API key, which stays in the environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Literal["sft", "dpo", "kto", "dpo-from-sft"] = Field(
        default="sft",
        description="sft: conversations like the seeds; dpo: preference pairs; kto: labelled rows; dpo-from-sft: real replies as chosen, generic ones as rejected.",
    )
    n: int | None = Field(
        default=None, ge=1, description="Rows wanted (dpo-from-sft: at most this many input rows)."
    )
    model: str = Field(min_length=1, description="Model name the endpoint serves.")
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint (default: the SDK's)."
    )
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="Environment variable holding the API key (the key itself is never a flag).",
    )
    temperature: float = Field(default=1.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=1024, ge=1, description="Completion tokens per request.")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        default="max_tokens", description="Request field carrying max_tokens."
    )
    seed: int = Field(default=0, description="Seed for the examples shown and the request seeds.")
    concurrency: int = Field(default=8, ge=1, le=1024, description="Requests in flight at most.")
    rpm: float | None = Field(default=None, gt=0, description="Requests-per-minute limit.")
    tpm: float | None = Field(default=None, gt=0, description="Tokens-per-minute limit.")
    max_retries: int = Field(default=6, ge=0, le=100, description="Retries per request.")
    retry_delay: float = Field(default=1.0, ge=0, description="First backoff step in seconds.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds before a request times out.")
    prices: tuple[float, float] | None = Field(
        default=None, description="Dollars per million input and output tokens."
    )
    max_budget: float | None = Field(
        default=None, gt=0, description="Stop before spending more than this many dollars."
    )
    max_requests: int | None = Field(
        default=None, ge=1, description="Give up after this many requests (default: 3 x n + 10)."
    )
    system: str | None = Field(default=None, description="System prompt / persona.")
    template: str | None = Field(
        default=None, description="User prompt template with $examples, $schema and $task."
    )
    structured: Literal["auto", "json_schema", "json_object", "text"] = Field(
        default="auto", description="Reply format; auto tries json_schema, json_object, text."
    )
    examples: int = Field(default=3, ge=1, description="Seed examples shown per request.")
    generated_examples: int = Field(default=2, ge=0, description="Accepted rows shown per request.")
    window: int = Field(
        default=64,
        ge=0,
        description="Accepted rows are shown in prompts this many requests later, which keeps the "
        "rows the same at any concurrency; keep it >= concurrency, as it also caps the requests in flight.",
    )
    dedupe_threshold: float = Field(
        default=0.7, gt=0, le=1, description="Jaccard at which a row is too close to a seed or row."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Request cache a rerun replays (default: ~/.cache/dataprep/bootstrap).",
    )
    use_cache: bool = Field(default=True, description="Read and write the request cache.")

    @classmethod
    def make(cls, **values: Any) -> BootstrapConfig:
        """Build from keyword values (None: the default), turning validation errors into one ``ConfigError``."""
        try:
            config = cls(**{key: value for key, value in values.items() if value is not None})
        except ValidationError as error:
            raise ConfigError(format_validation_error("bootstrap", error)) from None
        if config.task != "dpo-from-sft" and config.n is None:
            raise ConfigError(f"--task {config.task} needs --n, the number of rows to generate")
        if config.max_budget is not None and config.prices is None:
            raise ConfigError("--max-budget needs --prices IN,OUT to turn tokens into money")
        if config.task == "dpo-from-sft" and config.template is not None:
            raise ConfigError(
                "--template does not apply to --task dpo-from-sft (use --system for its prompt)"
            )
        if config.template is not None:
            check_template(config.template)
        return config

    @property
    def price_table(self) -> Prices | None:
        return Prices(*self.prices) if self.prices else None

    @property
    def system_prompt(self) -> str:
        return self.system if self.system is not None else default_system(self.task)

    @property
    def user_template(self) -> str:
        return self.template if self.template is not None else DEFAULT_TEMPLATE


class BootstrapResult:
    """What a run produced: rows, the report, and the files written."""

    def __init__(
        self, rows: list[dict[str, Any]], report: dict[str, Any], outputs: list[Path]
    ) -> None:
        self.rows = rows
        self.report = report
        self.outputs = outputs


def sidecar_paths(out: Path) -> tuple[Path, Path]:
    """Provenance and report paths beside ``out``: ``x.jsonl`` -> ``x.provenance.jsonl``, ``x.report.json``."""
    return beside(out, "provenance.jsonl"), beside(out, "report.json")


def check_bootstrap_paths(
    source: Path,
    out: Path,
    rejects: Path | None,
    report: Path | None,
    *,
    extra_inputs: list[Labelled] | None = None,
    html_report: bool = False,
) -> None:
    """Refuse outputs that are an input or each other, before any request is paid for."""
    provenance_path, default_report = sidecar_paths(out)
    outputs: list[Labelled] = [
        ("--out", out),
        ("the provenance sidecar", provenance_path),
        ("--report", report or default_report),
        ("--rejects", rejects),
    ]
    if html_report:
        from dataprep.report import run_page_path

        outputs.append(("the HTML report page", run_page_path(report or default_report)))
    check_paths([("the seeds file", source), *(extra_inputs or [])], outputs)
    prepare_outputs([path for _, path in outputs])


def _build_job(
    config: BootstrapConfig, source: Path, ctx: RunContext, stage: str = STAGE
) -> tuple[Any, int, int]:
    """The job, how many rows it aims for, and how many requests it may make."""
    if config.task == "dpo-from-sft":
        items, bad = read_sft_items(source, config.n)
        for line, reason in bad:
            ctx.reject(stage, pl.DataFrame({"input_line": [line]}), reason)
        job: Any = PreferenceFromSftJob(
            items,
            config.system_prompt,
            config.model,
            config.temperature,
            config.max_tokens,
            config.seed,
            threshold=config.dedupe_threshold,
        )
        return job, len(items), len(items)
    assert config.n is not None
    job = GenerateJob(
        config.task,
        load_seeds(source),
        config.system_prompt,
        config.user_template,
        config.model,
        config.temperature,
        config.max_tokens,
        config.seed,
        examples=config.examples,
        generated_examples=config.generated_examples,
        window=config.window,
        dedupe=SimilarTextIndex(config.dedupe_threshold),
    )
    return job, config.n, config.max_requests or 3 * config.n + 10


def api_key_from_env(config: BootstrapConfig) -> str:
    key = os.environ.get(config.api_key_env)
    if not key:
        raise ConfigError(
            f"the environment variable {config.api_key_env} is not set",
            hint=f"Export your API key as {config.api_key_env}, or name another variable with --api-key-env",
        )
    return key


def run_bootstrap(
    config: BootstrapConfig,
    source: Path,
    out: Path,
    *,
    rejects: Path | None = None,
    report: Path | None = None,
    model: ChatModel | None = None,
    progress: Progress | None = None,
    html_report: bool = False,
    dataset_card: bool = False,
) -> BootstrapResult:
    """Generate rows from ``source`` into ``out``; ``model`` replaces the real endpoint in tests.

    This is the built-in ``bootstrap`` recipe with its PII and split stages off
    (:func:`plain_recipe`), run by the shared runner: the report, rejects and output set are
    those of every other command; ``report["details"]["generate"]`` holds the generation counts.
    """
    from dataprep.bootstrap.stage import GenerateStage
    from dataprep.runner import build_stages, run_recipe

    report_path = report or sidecar_paths(out)[1]
    check_bootstrap_paths(source, out, rejects, report, html_report=html_report)
    for path in (out, rejects, report_path):
        if path is not None and not path.absolute().parent.is_dir():
            # Checked before any request: failing after paying for them would be worse.
            raise OutputError(
                f"{path}: the directory {path.absolute().parent} does not exist",
                hint="Create it first or choose another path",
            )
    recipe = plain_recipe(config)
    recipe.check()
    stages = [
        (
            key,
            GenerateStage(stage.params, model=model) if isinstance(stage, GenerateStage) else stage,
        )
        for key, stage in build_stages(recipe)
    ]
    ctx = RunContext(
        inputs=[source],
        output=out,
        seed=config.seed,
        progress=progress or NullProgress(),
        rejects_path=rejects,
        html_report=html_report,
        dataset_card=dataset_card,
    )
    result = run_recipe(recipe, ctx, report_path=report_path, stages=stages)
    generate = next(stage for _, stage in stages if isinstance(stage, GenerateStage))
    return BootstrapResult(generate.rows, result.report, result.outputs)


def plain_recipe(config: BootstrapConfig) -> Recipe:
    """``dataprep bootstrap`` without ``--recipe``: the built-in ``bootstrap`` recipe with
    ``config`` on its generate stage and its PII and split stages off (one output file)."""
    from dataprep.recipe import load_recipe

    recipe = load_recipe("bootstrap").configure(
        "generate", "--recipe", **config.model_dump(mode="json")
    )
    recipe = recipe.disable("pii", "--no-pii").disable("split", "--no-split")
    return recipe.model_copy(update={"seed": config.seed})


def build_engine(
    config: BootstrapConfig,
    source: Path,
    ctx: RunContext,
    model: ChatModel | None = None,
    stage: str = STAGE,
) -> tuple[Engine, int]:
    """The engine of a run over ``source`` and the rows it aims for; ``model`` replaces the
    real endpoint in tests."""
    job, target, total = _build_job(config, source, ctx, stage)
    cache_root = (config.cache_dir or default_cache_dir()) if config.use_cache else None
    secret = os.environ.get(config.api_key_env) or None
    if model is None:
        model = OpenAIChatModel(
            api_key=api_key_from_env(config),
            base_url=config.base_url,
            timeout=config.timeout,
            max_tokens_field=config.max_tokens_field,
        )
    from dataprep.validate import check_records

    engine = Engine(
        job=job,
        model=model,
        ctx=ctx,
        cache=RequestCache(cache_root, secret),
        target=target,
        total=total,
        concurrency=config.concurrency,
        max_tokens=config.max_tokens,
        policy=RetryPolicy(config.max_retries, config.retry_delay),
        limiter=RateLimiter(config.rpm, config.tpm),
        budget=Budget(config.max_budget, config.price_table),
        structured="text" if config.task == "dpo-from-sft" else config.structured,
        validate=check_records,
        secret=secret,
        provenance_fields={
            "task": config.task,
            "template_sha256": template_hash(config.system_prompt, config.user_template),
        },
        stage=stage,
    )
    return engine, target


async def run_engine(engine: Engine) -> None:
    """Run the engine's requests, closing the model's connections at the end."""
    try:
        await engine.run()
    finally:
        await engine.model.aclose()
    if engine.every_request_failed():
        rejected = engine.ctx.counts[engine.stage].rejected
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(rejected.items()))
        raise EndpointError(
            f"every request failed ({reasons}); no row was generated and nothing was written",
            hint="Check --base-url and the endpoint's health, then rerun",
        )


def _label_counts(task: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """KTO rows per label (TRL warns when the classes are unbalanced)."""
    if task != "kto" or not rows:
        return {}
    desirable = sum(1 for row in rows if row["label"] is True)
    return {"desirable": desirable, "undesirable": len(rows) - desirable}


def generation_summary(
    config: BootstrapConfig, engine: Engine, ctx: RunContext, target: int
) -> dict[str, Any]:
    """What generation did (rows, requests, rejects, retries, usage, cache): counts only."""
    counts = ctx.counts[engine.stage]
    labels = _label_counts(config.task, engine.rows)
    if labels and 0 in labels.values():
        ctx.warn("every KTO row has the same label; KTO needs desirable and undesirable rows")
    if engine.stop_reason == "budget":
        ctx.warn(
            f"stopped at the --max-budget limit with {len(engine.rows)} of {target} rows; "
            "rerun with a higher budget to continue (cached requests cost nothing)"
        )
    elif engine.stop_reason == "max_requests":
        ctx.warn(
            f"only {len(engine.rows)} of {target} rows after {engine.requests_issued} requests; "
            "see the reject reasons, or raise --max-requests"
        )
    return {
        "target": target,
        "accepted": len(engine.rows),
        "template_sha256": template_hash(config.system_prompt, config.user_template),
        "requests_issued": engine.requests_issued,
        "stop_reason": engine.stop_reason or "done",
        "structured_mode": engine.mode,
        "rejected": dict(sorted(counts.rejected.items())),
        "rejected_total": sum(counts.rejected.values()),
        "retries": dict(sorted(engine.retries.items())),
        **({"labels": labels} if labels else {}),
        "notes": dict(sorted(counts.notes.items())),
        "usage": engine.usage.to_dict(engine.budget.prices),
        "cache": {
            "hits": engine.cache.hits,
            "writes": engine.cache.writes,
            "refused_with_key": engine.cache.refused,
            "dir": str(engine.cache.root) if engine.cache.root else None,
        },
    }


def estimate_bootstrap(config: BootstrapConfig, source: Path) -> dict[str, Any]:
    """Dry run: how many calls and what they would cost, from prompts built as the run would."""
    ctx = RunContext(inputs=[source])
    job, target, total = _build_job(config, source, ctx)
    if target == 0:
        raise ConfigError(f"{source}: no usable rows for --task {config.task}")
    built = [job.build(i, "json_schema")[0] for i in range(min(target, 50))]
    prompt = statistics.mean(estimate_tokens(r.prompt_chars()) for r in built)
    if config.task == "dpo-from-sft":
        typical = statistics.mean(estimate_tokens(len(item.chosen)) for item in job.items)
    else:
        typical = statistics.mean(estimate_tokens(len(json.dumps(s.example()))) for s in job.seeds)
        prompt += config.generated_examples * typical  # accepted rows shown in later prompts
    completion = min(float(config.max_tokens), typical)
    prices = config.price_table
    return {
        "task": config.task,
        "requests": target,
        "max_requests": total,
        "prompt_tokens_per_request": round(prompt),
        "completion_tokens_per_request": round(completion),
        "max_completion_tokens_per_request": config.max_tokens,
        "prompt_tokens": round(prompt * target),
        "completion_tokens": round(completion * target),
        "cost": round(prices.cost(prompt * target, completion * target), 4) if prices else None,
        "cost_worst_case": round(prices.cost(prompt * total, config.max_tokens * total), 4)
        if prices
        else None,
        "skipped_input_rows": sum(ctx.counts[STAGE].rejected.values()),
    }
