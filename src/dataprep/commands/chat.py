"""``dataprep chat``: the chat recipe plus command-line overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import (
    apply_overrides,
    default_report_path,
    ensure_output_folders,
    pipeline_options,
    resolve_recipe,
    run_pipeline,
)
from dataprep.commands._safety import apply_safety_options, safety_options


@click.command("chat")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL. With splits on, val/test files are written beside it.",
)
@click.option(
    "--me",
    multiple=True,
    metavar="NAME",
    help="Name or platform id of the speaker whose turns become the assistant's; repeatable (one per platform).",
)
@click.option(
    "--input-format",
    default=None,
    help="Force the export format instead of detecting it per file (whatsapp, telegram, discord, slack, wechat, jsonl, csv, sharegpt, openai, alpaca).",
)
@click.option(
    "--output-format",
    type=click.Choice(["sharegpt", "openai", "trl"]),
    default=None,
    help="ShareGPT (LLaMA-Factory), OpenAI messages, or TRL (conversational 'messages' for SFT samples; prompt/chosen/rejected for preference pairs). Default: the recipe's (sharegpt).",
)
@click.option("--system", default=None, help="System prompt put first in every sample.")
@click.option(
    "--me-first",
    type=click.Choice(["drop", "keep", "empty-user"]),
    default=None,
    help="A session that opens with the --me speaker: drop that turn (default), keep it as the first turn (OpenAI/TRL accept this), or put an empty user turn before it (ShareGPT trainers want a user first).",
)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Keep messages from this date or time on (2024-01-31 or 2024-01-31T18:00).",
)
@click.option(
    "--until",
    default=None,
    metavar="DATE",
    help="Keep messages up to the end of this date, or up to this time.",
)
@click.option(
    "--include-chat",
    multiple=True,
    metavar="NAME",
    help="Read only this chat (Telegram chat, Discord channel, Slack channel, WhatsApp file name, or its id); repeatable.",
)
@click.option(
    "--exclude-chat",
    multiple=True,
    metavar="NAME",
    help="Skip this chat (name or id, as --include-chat); repeatable.",
)
@click.option(
    "--session-gap",
    type=float,
    default=None,
    metavar="MINUTES",
    help="A silence longer than this starts a new session (default 60).",
)
@click.option("--max-turns", type=int, default=None, help="Most turns per sample (default 32).")
@click.option(
    "--max-chars", type=int, default=None, help="Most characters per sample (default 8000)."
)
@click.option(
    "--urls",
    type=click.Choice(["keep", "remove", "placeholder"]),
    default=None,
    help="What to do with URLs in messages (default keep).",
)
@click.option(
    "--speaker-prefix",
    type=click.Choice(["auto", "always", "never"]),
    default=None,
    help="Prefix user turns with the speaker's name (auto: group chats only).",
)
@click.option(
    "--date-order",
    type=click.Choice(["auto", "dmy", "mdy", "ymd"]),
    default=None,
    help="WhatsApp day/month order when a file does not show it (default: inferred per file).",
)
@click.option(
    "--encoding",
    default=None,
    help="Force the text encoding of the exports (default: detect BOM/UTF-16, else UTF-8).",
)
@click.option(
    "--skip-bad-files",
    is_flag=True,
    help="Skip (and count) files that cannot be read instead of stopping.",
)
@click.option(
    "--trace",
    type=click.Choice(["sidecar", "field", "none"]),
    default=None,
    help="Trace samples to source lines: a .sources.jsonl sidecar (default), fields in each record, or none.",
)
@safety_options
@pipeline_options
def command(
    paths: tuple[Path, ...],
    out: Path,
    me: tuple[str, ...],
    input_format: str | None,
    output_format: str | None,
    system: str | None,
    me_first: str | None,
    since: str | None,
    until: str | None,
    include_chat: tuple[str, ...],
    exclude_chat: tuple[str, ...],
    session_gap: float | None,
    max_turns: int | None,
    max_chars: int | None,
    urls: str | None,
    speaker_prefix: str | None,
    date_order: str | None,
    encoding: str | None,
    skip_bad_files: bool,
    trace: str | None,
    recipe_path: Path | None,
    overrides: tuple[str, ...],
    rejects_path: Path | None,
    report_path: Path | None,
    seed: int | None,
    quiet: bool,
    **safety: Any,
) -> None:
    """Turn chat exports into multi-turn conversations for SFT.

    PATHS are export files or folders (searched recursively): WhatsApp .txt/.zip, Telegram
    result.json, DiscordChatExporter .json, Slack export folders, WeChat CSV, and JSONL/CSV.
    The --me speaker's turns become the assistant's; everyone else is the user.
    Samples are deduplicated, scrubbed of personal data and split into train/val/test
    (val.jsonl and test.jsonl beside --out) unless --no-dedupe, --no-pii or --no-split.

    Example: dataprep chat exports/ --me "Colin" --out data/train.jsonl
    """
    recipe = resolve_recipe("chat", recipe_path)
    recipe = recipe.with_params(
        "read_chat",
        input_format=input_format,
        date_order=date_order,
        encoding=encoding,
        on_unreadable="skip" if skip_bad_files else None,
        since=since,
        until=until,
        include_chats=list(include_chat) or None,
        exclude_chats=list(exclude_chat) or None,
    )
    recipe = recipe.with_params("clean_messages", urls=urls)
    recipe = recipe.with_params("assign_roles", me=list(me) or None)
    recipe = recipe.with_params(
        "sessionize", gap_minutes=session_gap, speaker_prefix=speaker_prefix
    )
    recipe = recipe.with_params(
        "build_samples",
        max_turns=max_turns,
        max_chars=max_chars,
        system=system,
        me_first=me_first.replace("-", "_") if me_first else None,
    )
    recipe = recipe.with_params("write_conversations", output_format=output_format, trace=trace)
    recipe = apply_safety_options(recipe, **safety)
    recipe = apply_overrides(recipe, overrides)
    ensure_output_folders(out, report_path, rejects_path)
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
