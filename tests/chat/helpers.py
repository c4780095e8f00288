"""Builders for chat-stage tests: message tables and a source stage that yields them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.schema import messages_frame
from dataprep.context import RunContext
from dataprep.recipe import Recipe, StageSpec
from dataprep.runner import RunResult, build_stages, run_recipe
from dataprep.stage import Stage

START = datetime(2024, 3, 1, 9, 0, 0)


def chat(*lines: tuple[Any, ...], conversation: str = "c1", file: str = "chat.txt") -> pl.DataFrame:
    """Messages from ``(minutes, speaker, text[, kind])`` tuples, in order."""
    rows = []
    for number, line in enumerate(lines, start=1):
        minutes, speaker, text = line[:3]
        kind = line[3] if len(line) > 3 else "text"
        rows.append(
            {
                "conversation": conversation,
                "speaker": speaker,
                "text": text,
                "time": None if minutes is None else START + timedelta(minutes=minutes),
                "kind": kind,
                "source_file": file,
                "source_line": number,
            }
        )
    return messages_frame(rows)


class FrameSource(Stage):
    """Yields prepared frames (stands in for read_chat)."""

    name = "frame_source"
    kind = "source"

    def __init__(self, frames: list[pl.DataFrame]) -> None:
        super().__init__()
        self.frames = frames

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        yield from self.frames


class Collect(Stage):
    """Keeps every batch it sees (stands in for a writer)."""

    name = "collect"
    kind = "sink"

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[pl.DataFrame] = []

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        for batch in batches:
            self.frames.append(batch)
        yield from ()

    @property
    def frame(self) -> pl.DataFrame:
        return pl.concat(self.frames) if self.frames else pl.DataFrame()


def run_stages(
    frames: list[pl.DataFrame],
    specs: list[tuple[str, dict[str, Any]]],
    tmp_path: Path | None = None,
    **ctx_args: Any,
) -> tuple[RunResult, Collect]:
    """Run ``FrameSource -> specs... -> Collect`` and return the result and the collected rows."""
    recipe = Recipe(
        name="test", stages=[StageSpec(stage=name, params=params) for name, params in specs]
    )
    sink = Collect()
    stages = [("frame_source", FrameSource(frames)), *build_stages(recipe), ("collect", sink)]
    ctx = RunContext(**ctx_args)
    result = run_recipe(recipe, ctx, stages=stages)
    return result, sink
