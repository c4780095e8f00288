"""``dataprep chat``: the chat recipe plus command-line overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dataprep.commands._common import (
    engine_options,
    param_help,
    pipeline_options,
    pop_engine,
    resolve_recipe,
    run_file_pipeline,
    shard_option,
)
from dataprep.commands._safety import apply_safety_options, pop_safety_options, safety_options
from dataprep.formats import output_format_names


@click.command("chat")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output JSONL. With splits on, val/test files are written beside it; with --engine ray, shards of each split (train-00000-of-00003.jsonl ...) in its folder.",
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
    help="Force the export format instead of detecting it per file (whatsapp, telegram, discord, slack, wechat, jsonl, csv, sharegpt, openai).",
)
@click.option(
    "--output-format",
    type=click.Choice(output_format_names()),
    default=None,
    help="Record shape: ShareGPT (LLaMA-Factory), OpenAI messages, TRL (conversational 'messages' for SFT samples; prompt/chosen/rejected for preference pairs), LLaMA-Factory alpaca. Default: the recipe's (sharegpt).",
)
@click.option("--system", default=None, help=param_help("build_samples", "system"))
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
    help=param_help("sessionize", "gap_minutes"),
)
@click.option("--max-turns", type=int, default=None, help=param_help("build_samples", "max_turns"))
@click.option("--max-chars", type=int, default=None, help=param_help("build_samples", "max_chars"))
@click.option(
    "--urls",
    type=click.Choice(["keep", "remove", "placeholder"]),
    default=None,
    help=param_help("clean_messages", "urls"),
)
@click.option(
    "--speaker-prefix",
    type=click.Choice(["auto", "always", "never"]),
    default=None,
    help=param_help("sessionize", "speaker_prefix"),
)
@click.option(
    "--date-order",
    type=click.Choice(["auto", "dmy", "mdy", "ymd"]),
    default=None,
    help=param_help("read_chat", "date_order"),
)
@click.option(
    "--encoding",
    default=None,
    help=param_help("read_chat", "encoding"),
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
    help=param_help("write_conversations", "trace"),
)
@safety_options
@engine_options
@shard_option
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
    **options: Any,
) -> None:
    """Turn chat exports into multi-turn conversations for SFT.

    PATHS are export files or folders (searched recursively): WhatsApp .txt/.zip, Telegram
    result.json, DiscordChatExporter .json, Slack export folders, WeChat CSV, and JSONL/CSV.
    The --me speaker's turns become the assistant's; everyone else is the user.
    Samples are deduplicated, scrubbed of personal data and split into train/val/test
    (val.jsonl and test.jsonl beside --out) unless --no-dedupe, --no-pii or --no-split.

    Example: dataprep chat exports/ --me "Colin" --out data/train.jsonl
    """
    safety = pop_safety_options(options)
    engine = pop_engine(options)
    recipe = resolve_recipe("chat", options.pop("recipe_path"))
    recipe = recipe.configure("read_chat", "--input-format", input_format=input_format)
    recipe = recipe.configure("read_chat", "--date-order", date_order=date_order)
    recipe = recipe.configure("read_chat", "--encoding", encoding=encoding)
    recipe = recipe.configure(
        "read_chat", "--skip-bad-files", on_unreadable="skip" if skip_bad_files else None
    )
    recipe = recipe.configure("read_chat", "--since", since=since)
    recipe = recipe.configure("read_chat", "--until", until=until)
    recipe = recipe.configure(
        "read_chat", "--include-chat", include_chats=list(include_chat) or None
    )
    recipe = recipe.configure(
        "read_chat", "--exclude-chat", exclude_chats=list(exclude_chat) or None
    )
    recipe = recipe.configure("clean_messages", "--urls", urls=urls)
    recipe = recipe.configure("assign_roles", "--me", me=list(me) or None)
    recipe = recipe.configure("sessionize", "--speaker-prefix", speaker_prefix=speaker_prefix)
    recipe = recipe.configure("sessionize", "--session-gap", gap_minutes=session_gap)
    recipe = recipe.configure("build_samples", "--max-turns", max_turns=max_turns)
    recipe = recipe.configure("build_samples", "--max-chars", max_chars=max_chars)
    recipe = recipe.configure("build_samples", "--system", system=system)
    me_first = me_first.replace("-", "_") if me_first else None
    recipe = recipe.configure("build_samples", "--me-first", me_first=me_first)
    recipe = recipe.configure("write_conversations", "--output-format", output_format=output_format)
    recipe = recipe.configure("write_conversations", "--trace", trace=trace)
    run_file_pipeline(apply_safety_options(recipe, **safety), paths, out, engine=engine, **options)
