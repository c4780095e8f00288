"""Builders for clean-stage tests: samples tables and running stages in a context."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from dataprep.chat.schema import samples_frame
from dataprep.context import RunContext
from dataprep.stage import Stage


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in pairs]


def sample(
    i: int | str,
    *pairs: tuple[str, str],
    group: str | None = None,
    speakers: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": f"s{i}",
        "group": group if group is not None else f"g{i}",
        "messages": turns(*pairs),
        "speakers": speakers or [],
        "source": f"test:{i}",
    }


def frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    return samples_frame(rows)


def run_stage(
    stage: Stage, batches: list[pl.DataFrame], ctx: RunContext | None = None
) -> tuple[pl.DataFrame, RunContext]:
    """Run one stage over ``batches``; returns its concatenated output and the context."""
    ctx = ctx or RunContext()
    stage.setup(ctx)
    out = list(stage.process(iter(batches), ctx))
    stage.finish(ctx)
    schema = batches[0].schema if batches else None
    return (pl.concat(out) if out else pl.DataFrame(schema=schema)), ctx
