"""The driver of the two-node test, run in its own process: ``python -m
tests.ray_engine.two_node_driver ADDRESS FOLDER``. It runs ``dataprep clean --engine ray
--ray-address ADDRESS`` into FOLDER/cli, then the same recipe with stages that note which
node mapped each batch into FOLDER/nodes, and prints that report's notes as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dataprep.cli import main as dataprep_main
from tests.conftest import FIXTURES

CONVERSATIONS = FIXTURES / "clean" / "conversations.jsonl"


def run_cli(address: str, folder: Path) -> None:
    folder.mkdir()
    args = ["clean", str(CONVERSATIONS), "--out", str(folder / "train.jsonl"), "--no-pii"]
    args += ["--set", "read_conversations.batch_size=2", "-q"]
    try:
        dataprep_main([*args, "--engine", "ray", "--ray-address", address])
    except SystemExit as exit_:
        if exit_.code:
            raise


def run_with_recorders(address: str, folder: Path) -> dict[str, dict[str, int]]:
    import ray

    from dataprep.context import RunContext
    from dataprep.engines.ray_engine import RayEngine
    from dataprep.runner import run_recipe
    from tests.ray_engine.stages import RecordActorNodes, RecordNodes
    from tests.ray_engine.test_ray_engine import clean_recipe, clean_stages

    folder.mkdir()
    built = clean_stages(RecordNodes())
    built.insert(2, (RecordActorNodes.name, RecordActorNodes()))
    ray.init(address=address, logging_level="WARNING")
    try:
        ctx = RunContext(inputs=[CONVERSATIONS], output=folder / "train.jsonl")
        report = run_recipe(clean_recipe(), ctx, stages=built, engine=RayEngine()).report
    finally:
        ray.shutdown()
    return {key: report["stages"][key]["notes"] for key in ("record_nodes", "record_actor_nodes")}


def wait_for_nodes(address: str, count: int, timeout: float = 120) -> None:
    """Return once ``count`` nodes are alive (the worker node joins after the head)."""
    import time

    import ray

    ray.init(address=address, logging_level="WARNING")
    try:
        deadline = time.monotonic() + timeout
        while sum(node["Alive"] for node in ray.nodes()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} Ray nodes after {timeout} s")
            time.sleep(0.5)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    address, where = sys.argv[1], Path(sys.argv[2])
    wait_for_nodes(address, 2)
    run_cli(address, where / "cli")
    print(json.dumps(run_with_recorders(address, where / "nodes")))
