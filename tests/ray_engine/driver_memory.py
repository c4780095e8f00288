"""The driver of the memory test, in a process of its own: ``python -m
tests.ray_engine.driver_memory FOLDER SAMPLES``. It writes SAMPLES generated conversations,
starts a local Ray instance (2 CPUs), warms up on a small input, then runs the clean recipe
(no PII) with ``--engine ray`` and prints, as JSON, how much the driver's peak resident
memory (VmHWM, reset before the run) rose above its resident memory before the run."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _run(inputs: list[Path], folder: Path) -> dict:
    from dataprep.context import RunContext
    from dataprep.engines.ray_engine import RayEngine
    from dataprep.runner import run_recipe
    from tests.ray_engine.test_ray_engine import clean_recipe

    folder.mkdir()
    recipe = clean_recipe().with_params("read_conversations", batch_size=2000)
    ctx = RunContext(inputs=inputs, output=folder / "train.jsonl")
    return run_recipe(recipe, ctx, engine=RayEngine()).report


def main(folder: Path, samples: int) -> None:
    import ray

    from tests.ray_engine.planted import write_planted

    (folder / "small").mkdir()
    (folder / "big").mkdir()
    small = write_planted(folder / "small", per_file=200, pairs=5, files=2)
    big = write_planted(folder / "big", per_file=samples // 2, pairs=50, files=2)
    ray.init(
        num_cpus=2,
        object_store_memory=200 * 1024**2,
        include_dashboard=False,
        _temp_dir=tempfile.mkdtemp(prefix="raymem-", dir="/tmp"),
        logging_level="WARNING",
    )
    try:
        _run(small.files, folder / "warm")
        before = _status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        report = _run(big.files, folder / "out")
        peak = _status("VmHWM")
    finally:
        ray.shutdown()
    print(
        json.dumps(
            {
                "samples": samples,
                "growth_bytes": peak - before,
                "near_duplicates": report["details"]["dedupe"]["near_duplicates"],
                "candidate_pairs": report["details"]["dedupe"]["candidate_pairs"],
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
