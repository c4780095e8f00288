"""The driver of the memory test, in a process of its own: ``python -m
tests.ray_engine.driver_memory FOLDER SAMPLES``. It writes SAMPLES generated conversations,
starts a local Ray instance (2 CPUs), warms up on a small input, then runs the clean recipe
(no PII) with ``--engine ray`` and prints, as JSON, how much the driver's peak private
resident memory (``RssAnon``, sampled every 10 ms) rose above its value before the run.

Not ``VmHWM``: it counts the pages of Ray's shared-memory object store that the driver
touched (putting a batch for a task, reading a result), which are bounded by the object
store's size, not by the driver; ``VmHWM``'s growth is printed beside, for reference."""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from pathlib import Path


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class PeakSampler:
    """Samples ``RssAnon`` on a thread until stopped; ``peak`` is the largest seen."""

    def __init__(self) -> None:
        self.peak = _status("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _status("RssAnon"))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status("RssAnon"))
        return self.peak


def _run(inputs: list[Path], folder: Path) -> dict:
    from dataprep.context import RunContext
    from dataprep.engines.ray_engine import RayEngine
    from dataprep.runner import run_recipe
    from tests.ray_engine.test_ray_engine import clean_recipe

    folder.mkdir()
    recipe = clean_recipe().with_params("read_conversations", batch_size=2000)
    # 64 bands (of 256 values): what the driver held per sample before the search moved to
    # the workers (8 bytes a band, twice while the keys were joined) is then easy to see.
    for stage in ("dedupe", "split"):
        recipe = recipe.with_params(stage, num_perm=256, bands=64, rows=4)
    ctx = RunContext(inputs=inputs, output=folder / "train.jsonl")
    return run_recipe(recipe, ctx, engine=RayEngine()).report


def main(folder: Path, samples: int) -> None:
    import ray

    from tests.ray_engine.planted import MANY_WORDS, write_planted

    (folder / "small").mkdir()
    (folder / "big").mkdir()
    small = write_planted(folder / "small", per_file=200, pairs=5, files=2)
    big = write_planted(
        folder / "big", per_file=samples // 2, pairs=50, files=2, vocabulary=MANY_WORDS
    )
    ray.init(
        num_cpus=2,
        object_store_memory=200 * 1024**2,
        include_dashboard=False,
        _temp_dir=tempfile.mkdtemp(prefix="raymem-", dir="/tmp"),
        logging_level="WARNING",
    )
    try:
        _run(small.files, folder / "warm")
        before, anon_before = _status("VmRSS"), _status("RssAnon")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        sampler = PeakSampler()
        report = _run(big.files, folder / "out")
        anon_peak = sampler.stop()
        peak = _status("VmHWM")
    finally:
        ray.shutdown()
    print(
        json.dumps(
            {
                "samples": samples,
                "growth_bytes": anon_peak - anon_before,
                "hwm_growth_bytes": peak - before,
                "near_duplicates": report["details"]["dedupe"]["near_duplicates"],
                "candidate_pairs": report["details"]["dedupe"]["candidate_pairs"],
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
