"""The engine choice on the command line, and the counter deltas workers send back; no Ray
instance is started here."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from dataprep.context import RunContext
from dataprep.engines import LocalEngine, make_engine
from dataprep.engines.ray_worker import WorkerSettings, add_counts, apply_stage, counts_of
from dataprep.errors import ConfigError, UnknownNameError
from dataprep.stage import Stage
from tests.conftest import FIXTURES, run_main


def test_local_is_the_default_and_a_ray_address_needs_the_ray_engine(tmp_path) -> None:
    assert isinstance(make_engine("local"), LocalEngine)
    with pytest.raises(ConfigError, match="--ray-address needs --engine ray"):
        make_engine("local", ray_address="127.0.0.1:6379")
    with pytest.raises(UnknownNameError):
        make_engine("spark")
    code, _, err = run_main(
        "clean",
        FIXTURES / "clean" / "conversations.jsonl",
        "--out",
        tmp_path / "train.jsonl",
        "--ray-address",
        "127.0.0.1:6379",
    )
    assert code == 2 and "--ray-address needs --engine ray" in err
    assert not list(tmp_path.iterdir())


def test_shard_rows_needs_the_ray_engine(tmp_path) -> None:
    with pytest.raises(ConfigError, match="--shard-rows needs --engine ray"):
        make_engine("local", shard_rows=10)
    conversations = FIXTURES / "clean" / "conversations.jsonl"
    code, _, err = run_main(
        "clean", conversations, "--out", tmp_path / "t.jsonl", "--shard-rows", "5"
    )
    assert code == 2 and "--shard-rows needs --engine ray" in err
    assert not list(tmp_path.iterdir())


class Counting(Stage):
    """Keeps counters on the instance, as scrub_pii and decontaminate do."""

    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.by_kind: Counter[str] = Counter()
        self.nested: dict[str, Counter[str]] = {}
        self.flag = True  # not a count
        self.label = "x"  # not a count

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        self.seen += 1
        kinds = batch["kind"].to_list()
        self.by_kind.update(kinds)
        self.nested.setdefault("en", Counter()).update(kinds)
        return batch.filter(pl.col("kind") == "a")


def test_counter_deltas_add_up_to_the_totals() -> None:
    worker = Counting()
    assert set(counts_of(worker)) == {"seen", "by_kind", "nested"}
    settings = WorkerSettings(inputs=[], output=None, seed=0, cache_dir=None, shared={})
    totals: dict = {}
    kept = 0
    for kinds in (["a", "b"], ["a"], ["b", "b"]):
        table = pl.DataFrame({"kind": kinds}).to_arrow()
        out, events = apply_stage(worker, table, settings, {})
        kept += 0 if out is None else out.num_rows
        add_counts(totals, events.counts)
    driver = Counting()
    add_counts(driver, totals)
    assert (driver.seen, driver.by_kind, driver.nested) == (
        3,
        Counter({"a": 2, "b": 3}),
        {"en": Counter({"a": 2, "b": 3})},
    )
    assert kept == 2
