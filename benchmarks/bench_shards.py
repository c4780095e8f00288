"""CPU time of the sharded split writer against the single-file one, on the same rows, in
one process (so the ratio holds on a busy machine): the cost of ``--engine ray``'s shards.

    python benchmarks/bench_shards.py --rows 1000000 --shard-rows 100000 --repeats 7

Not part of run_all.py: a check of one writer, not a figure of RESULTS.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from dataprep.io import SplitWriter
from dataprep.outputs import OutputSet
from dataprep.shards import ShardedSplitWriter


def write_once(batches: list[pl.DataFrame], shard_rows: int | None) -> tuple[float, int]:
    """CPU seconds to write and commit ``batches``; the files written."""
    with tempfile.TemporaryDirectory(dir=".") as folder:
        outputs = OutputSet()
        target = Path(folder) / "train.jsonl"
        writer = (
            SplitWriter(outputs, target)
            if shard_rows is None
            else ShardedSplitWriter(outputs, target, shard_rows)
        )
        start = time.process_time()
        for batch in batches:
            writer.write_frame("train", batch)
        writer.close()
        outputs.commit()
        return time.process_time() - start, len(list(Path(folder).glob("train*.jsonl")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shard-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = args.rows
    frame = pl.DataFrame(
        {"id": [f"c{n}" for n in range(rows)], "text": ["hello world " * 20] * rows}
    )
    batches = list(frame.iter_slices(10_000))
    best: dict[str, float] = {}
    files = 0
    for _ in range(args.repeats):
        for name, shard_rows in (("single", None), ("sharded", args.shard_rows)):
            seconds, written = write_once(batches, shard_rows)
            best[name] = min(best.get(name, seconds), seconds)
            files = written if shard_rows else files
    ratio = best["sharded"] / best["single"]
    print(
        f"{rows:,} rows: single file {best['single']:.3f} CPU s, {files} shards "
        f"{best['sharded']:.3f} CPU s (best of {args.repeats}); sharded/single {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
