"""``dataprep clean`` on the local engine vs ``--engine ray`` (a local Ray instance).

A skeleton of the issue 17 benchmark, at small sizes by default. Synthetic ShareGPT
conversations (4-10 turns of 4-20 random words, every 20th a copy of an earlier one with a
word changed, so dedupe and split have clusters to find) are written to a temporary JSONL
file. Each run is its own process: the local engine, then Ray with 1 and with 2 worker CPUs
(``ray.init(num_cpus=N, object_store_memory=200 MB)``; Ray's start-up is timed apart from
the pipeline). Every run must write the same train/val/test bytes as the local engine.

Two workloads: dedupe + split (+ the writer) on ``--conversations``, and dedupe + PII + split
on ``--pii-conversations`` (spaCy loads once per actor; the model extra is needed).

What it measures: wall seconds of the pipeline, Ray start-up seconds, and the driver's peak
RSS (``ru_maxrss`` of the run's process; Ray's worker processes are not included).

Usage: python benchmarks/bench_ray.py [--conversations 20000] [--pii-conversations 500]
       [--cpus 1 2] [--batch-size 1000] [--out benchmarks/results/ray.json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OBJECT_STORE_BYTES = 200 * 1024**2


def write_conversations(path: Path, count: int, seed: int = 1) -> None:
    """``count`` ShareGPT records; every 20th copies an earlier one with one word changed."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 8))) for _ in range(5000)
    ]
    records: list[list[str]] = []
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            if number % 20 == 19 and records:
                turns = list(rng.choice(records))
                turns[0] = turns[0] + " " + rng.choice(words)
            else:
                turns = [
                    " ".join(rng.choices(words, k=rng.randint(4, 20)))
                    for _ in range(2 * rng.randint(2, 5))
                ]
            records.append(turns)
            roles = ["human", "gpt"] * (len(turns) // 2)
            record = {
                "id": f"c{number}",
                "conversations": [
                    {"from": r, "value": t} for r, t in zip(roles, turns, strict=True)
                ],
            }
            handle.write(json.dumps(record) + "\n")


def run_once(engine: str, cpus: int, source: Path, out: Path, pii: bool, batch: int) -> dict:
    """One run in this process; returns its timings and the driver's peak memory."""
    from dataprep.context import RunContext
    from dataprep.recipe import load_recipe
    from dataprep.runner import run_recipe

    recipe = load_recipe("clean").with_params("read_conversations", batch_size=batch)
    recipe = recipe.with_enabled("decontaminate", False).with_enabled("scrub_pii", pii)
    started_ray = 0.0
    run_engine = None
    if engine == "ray":
        import ray

        from dataprep.engines.ray_engine import RayEngine

        clock = time.perf_counter()
        ray.init(
            num_cpus=cpus,
            object_store_memory=OBJECT_STORE_BYTES,
            include_dashboard=False,
            logging_level="WARNING",
        )
        started_ray = time.perf_counter() - clock
        run_engine = RayEngine()
    ctx = RunContext(inputs=[source], output=out / "train.jsonl")
    clock = time.perf_counter()
    try:
        run_recipe(recipe, ctx, engine=run_engine)
    finally:
        if engine == "ray":
            import ray

            ray.shutdown()
    return {
        "engine": engine,
        "cpus": cpus if engine == "ray" else None,
        "pii": pii,
        "seconds": round(time.perf_counter() - clock, 2),
        "ray_start_seconds": round(started_ray, 2),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def outputs(folder: Path) -> dict[str, bytes]:
    """The split files, a Ray run's shards joined back into them."""
    from dataprep.shards import joined_shards

    found = {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))}
    return joined_shards(folder) or found


def measure(source: Path, work: Path, pii: bool, cpus: list[int], batch: int) -> list[dict]:
    rows, reference = [], None
    for engine, count in [("local", 0), *(("ray", c) for c in cpus)]:
        out = work / f"{engine}{count}{'-pii' if pii else ''}"
        out.mkdir()
        command = [sys.executable, __file__, "--one", engine, str(count), str(source), str(out)]
        command += ["--batch-size", str(batch)] + (["--pii"] if pii else [])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{engine} run failed:\n{done.stderr[-2000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        written = outputs(out)
        reference = reference if reference is not None else written
        row["same_output_as_local"] = written == reference
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--pii-conversations", type=int, default=500)
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ray.json")
    parser.add_argument("--one", nargs=4, metavar=("ENGINE", "CPUS", "INPUT", "OUT"))
    parser.add_argument("--pii", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, cpus, source, out = args.one
        result = run_once(engine, int(cpus), Path(source), Path(out), args.pii, args.batch_size)
        print(json.dumps(result))
        return 0
    results: dict[str, object] = {"batch_size": args.batch_size}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        work = Path(folder)
        for key, count, pii in (
            ("dedupe_split", args.conversations, False),
            ("dedupe_pii_split", args.pii_conversations, True),
        ):
            if not count:
                continue
            source = work / f"{key}.jsonl"
            write_conversations(source, count)
            results[key] = {
                "conversations": count,
                "runs": measure(source, work, pii, args.cpus, args.batch_size),
            }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
