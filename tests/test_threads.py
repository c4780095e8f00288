"""Stages on threads of their own, and the bounded ordered map: same bytes as one thread,
errors and interrupts that stop every thread, memory that follows a few batches."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from dataprep.context import RunContext
from dataprep.errors import InputError, StageError
from dataprep.recipe import Recipe
from dataprep.runner import run_recipe
from dataprep.stage import Stage
from dataprep.threads import ordered_map
from tests.conftest import run_main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat"


def _stage_threads() -> list[str]:
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("dataprep-stage-", "dataprep-map"))
    ]


def _chat(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, threads: str) -> Path:
    monkeypatch.setenv("DATAPREP_THREADS", threads)
    out = tmp_path / name
    out.mkdir()
    code, _, err = run_main(
        "chat", FIXTURES, "--me", "Colin", "--out", out / "train.jsonl",
        "--rejects", out / "rejects.jsonl", "--no-html-report", "--no-card", "-q",
    )  # fmt: skip
    assert code == 0, err
    return out


def test_threaded_stages_write_the_same_bytes_as_one_thread(tmp_path, monkeypatch):
    one = _chat(tmp_path, "one", monkeypatch, "0")
    many = _chat(tmp_path, "many", monkeypatch, "1")
    names = sorted(p.name for p in one.iterdir() if p.name != "train.report.json")
    assert "rejects.jsonl" in names and "val.jsonl" in names
    assert names == sorted(p.name for p in many.iterdir() if p.name != "train.report.json")
    for name in names:
        assert (one / name).read_bytes() == (many / name).read_bytes(), name
    rejects = [json.loads(line) for line in (many / "rejects.jsonl").read_text().splitlines()]
    assert rejects, "the fixtures hold rejected rows"
    stages = [row["stage"] for row in rejects]
    order = list(json.loads((many / "train.report.json").read_text())["stages"])
    # Grouped by stage, in recipe order, whatever the threads' timing.
    assert stages == sorted(stages, key=order.index)


class _Numbers(Stage):
    name = "numbers"
    kind = "source"

    def __init__(self, batches: int = 50) -> None:
        self.batches = batches
        self.made = 0

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        for index in range(self.batches):
            self.made += 1
            yield pl.DataFrame({"n": [index]})


class _Doubler(Stage):
    name = "doubler"

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        for batch in batches:
            yield batch.with_columns(pl.col("n") * 2)


class _FailsAt(Stage):
    name = "fails"

    def __init__(self, at: int, error: BaseException) -> None:
        self.at = at
        self.error = error
        self.unwound = False

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        try:
            for batch in batches:
                if batch["n"][0] == self.at:
                    raise self.error
                yield batch
        finally:
            self.unwound = True


class _Collect(Stage):
    name = "collect"
    kind = "sink"

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.thread = ""

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        self.thread = threading.current_thread().name
        for batch in batches:
            self.seen += batch["n"].to_list()
            yield batch


def test_stages_run_on_their_own_threads_in_order(tmp_path):
    source, collect = _Numbers(), _Collect()
    ctx = RunContext(output=tmp_path / "o.jsonl")
    stages = [("numbers", source), ("doubler", _Doubler()), ("collect", collect)]
    result = run_recipe(Recipe(name="t", stages=[]), ctx, stages=stages)
    assert collect.seen == [2 * n for n in range(50)]
    assert collect.thread == threading.main_thread().name  # the last stage: the caller's
    assert result.report["stages"]["doubler"]["rows_out"] == 50
    assert _stage_threads() == []


def test_a_stage_that_fails_on_its_thread_stops_the_run_and_every_thread(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text("previous\n")
    source, failing = _Numbers(10_000), _FailsAt(7, InputError("bad row", path="x", line=7))
    ctx = RunContext(output=out)
    stages = [("numbers", source), ("fails", failing), ("doubler", _Doubler())]
    with pytest.raises(StageError, match=r"\[fails\] x:7: bad row"):
        run_recipe(Recipe(name="t", stages=[]), ctx, stages=stages)
    assert failing.unwound
    assert source.made < 100, "the source stopped instead of reading on"
    assert _stage_threads() == []
    assert out.read_text() == "previous\n"


def test_ctrl_c_inside_a_stage_thread_reaches_the_caller_and_stops_every_thread(tmp_path):
    source, failing = _Numbers(10_000), _FailsAt(3, KeyboardInterrupt())
    ctx = RunContext(output=tmp_path / "o.jsonl")
    stages = [("numbers", source), ("fails", failing), ("doubler", _Doubler())]
    with pytest.raises(KeyboardInterrupt):
        run_recipe(Recipe(name="t", stages=[]), ctx, stages=stages)
    assert source.made < 100
    assert _stage_threads() == []
    assert list(tmp_path.iterdir()) == []


def test_threads_off_runs_every_stage_on_the_callers_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPREP_THREADS", "0")
    seen: list[str] = []

    class Where(_Doubler):
        def process(self, batches, ctx):
            seen.append(threading.current_thread().name)
            yield from super().process(batches, ctx)

    stages = [("numbers", _Numbers(3)), ("where", Where()), ("collect", _Collect())]
    run_recipe(Recipe(name="t", stages=[]), RunContext(output=tmp_path / "o"), stages=stages)
    assert seen == [threading.main_thread().name]


def test_ordered_map_keeps_order_and_few_items_in_flight():
    taken: list[int] = []
    started: list[int] = []

    def items() -> Iterator[int]:
        for n in range(40):
            taken.append(n)
            yield n

    def slow(n: int) -> int:
        started.append(n)
        time.sleep(0.002 * (n % 3))
        return n * n

    results = ordered_map(slow, items(), workers=2)
    for position, value in enumerate(results):
        assert value == position * position
        assert len(taken) - position <= 3  # at most workers + 1 taken and not yet yielded
    assert sorted(started) == list(range(40))


def test_ordered_map_raises_where_the_failed_result_would_be():
    def maybe(n: int) -> int:
        if n == 5:
            raise ValueError("five")
        return n

    got: list[int] = []
    with pytest.raises(ValueError, match="five"):
        for value in ordered_map(maybe, range(20), workers=2):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]


def test_ordered_map_with_one_worker_works_ahead_on_a_helper_thread():
    where: list[str] = []

    def work(n: int) -> str:
        where.append(threading.current_thread().name)
        return str(n)

    assert list(ordered_map(work, range(5), workers=1)) == ["0", "1", "2", "3", "4"]
    assert threading.current_thread().name not in where
