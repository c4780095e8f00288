"""``--engine ray`` gives the local engine's rows, survives killed workers, loads models once
per worker, and leaves nothing behind when it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.context import RunContext
from dataprep.errors import StageError
from dataprep.recipe import load_recipe
from dataprep.runner import build_stages, run_recipe
from dataprep.shards import is_shard, joined_shards
from dataprep.stage import Stage
from tests.conftest import FIXTURES, run_main
from tests.ray_engine.stages import (
    BreakOnWorker,
    CountSetups,
    CrashOnce,
    CrashOnceAfterSetup,
    FailOnWorker,
)

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]

CONVERSATIONS = FIXTURES / "clean" / "conversations.jsonl"
SPLIT_FILES = ("train.jsonl", "val.jsonl", "test.jsonl")


def outputs(folder: Path) -> dict[str, str]:
    """Every data file a run wrote (splits and sidecars), by name; not the report."""
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.glob("*.jsonl"))
        if p.name != "rejects.jsonl"
    }


def shards_joined(folder: Path) -> dict[str, str]:
    """A sharded run's data files joined back into the local engine's files, by the local
    name (``dataprep.shards.joined_shards``). Fails on a data file that is not a shard."""
    for path in folder.glob("*.jsonl"):
        assert path.name == "rejects.jsonl" or is_shard(path), f"not a shard: {path.name}"
    return {name: data.decode("utf-8") for name, data in joined_shards(folder).items()}


def rejects(folder: Path) -> list[str]:
    """Rejects as a sorted list: the engines write the same lines, interleaved differently."""
    return sorted((folder / "rejects.jsonl").read_text(encoding="utf-8").splitlines())


#: Small shards, so that the fixtures' splits span several.
SHARD_ROWS = 3


def run_both(tmp_path: Path, *args: str | Path) -> tuple[Path, Path]:
    folders = []
    for engine in ("local", "ray"):
        folder = tmp_path / engine
        folder.mkdir()
        shards = ["--shard-rows", str(SHARD_ROWS)] if engine == "ray" else []
        code, _, err = run_main(
            *args,
            "--out",
            folder / "train.jsonl",
            "--rejects",
            folder / "rejects.jsonl",
            "--engine",
            engine,
            *shards,
            "-q",
        )
        assert code == 0, err
        folders.append(folder)
    return folders[0], folders[1]


def assert_shards_of(on_ray: Path, local: Path, split: str = "train") -> None:
    """``on_ray``'s shards, joined, are ``local``'s files; ``split`` spans several shards,
    none over SHARD_ROWS rows, and the report lists them."""
    assert shards_joined(on_ray) == outputs(local)
    shards = sorted(on_ray.glob(f"{split}-?????-of-?????.jsonl"))
    assert len(shards) > 1
    assert all(len(p.read_text().splitlines()) <= SHARD_ROWS for p in shards)
    report = json.loads((on_ray / "train.report.json").read_text())
    [sink] = [key for key, stage in report["stages"].items() if stage["kind"] == "sink"]
    assert report["details"][sink]["shards"][split] == [p.name for p in shards]


@pytest.mark.model
def test_clean_gives_the_local_engines_rows(tmp_path: Path) -> None:
    local, on_ray = run_both(
        tmp_path,
        "clean",
        CONVERSATIONS,
        "--eval",
        FIXTURES / "clean" / "eval.jsonl",
        "--split",
        "0.6/0.2/0.2",
        # Many small batches, so that both workers take some.
        "--set",
        "read_conversations.batch_size=3",
    )
    assert set(outputs(local)) == set(SPLIT_FILES)
    assert_shards_of(on_ray, local)
    assert rejects(on_ray) == rejects(local)
    reports = [json.loads((f / "train.report.json").read_text()) for f in (local, on_ray)]
    for key in ("scrub_pii", "decontaminate", "split", "dedupe"):
        assert reports[1]["details"][key] == reports[0]["details"][key], key
    assert [s["rows_out"] for s in reports[1]["stages"].values()] == [
        s["rows_out"] for s in reports[0]["stages"].values()
    ]


@pytest.mark.model
def test_chat_gives_the_local_engines_rows(tmp_path: Path) -> None:
    local, on_ray = run_both(
        tmp_path,
        "chat",
        FIXTURES / "chat",
        "--me",
        "Colin",
        "--set",
        "read_chat.batch_rows=40",
    )
    assert {"train.jsonl", "train.sources.jsonl"} <= set(outputs(local))
    assert_shards_of(on_ray, local)
    assert rejects(on_ray) == rejects(local)


def clean_recipe():
    """The clean recipe without PII (fast), in batches of two records."""
    recipe = load_recipe("clean").with_enabled("scrub_pii", False)
    return recipe.with_params("read_conversations", batch_size=2)


def clean_stages(extra: Stage | None = None) -> list[tuple[str, Stage]]:
    """The stages of ``clean_recipe``, with ``extra`` after dedupe."""
    built = build_stages(clean_recipe())
    if extra is not None:
        at = [key for key, _ in built].index("dedupe") + 1
        built.insert(at, (extra.name, extra))
    return built


def run_clean(folder: Path, built: list[tuple[str, Stage]], *, on_ray: bool = False) -> dict:
    from dataprep.engines.ray_engine import RayEngine

    folder.mkdir()
    ctx = RunContext(inputs=[CONVERSATIONS], output=folder / "train.jsonl")
    engine = RayEngine() if on_ray else None
    return run_recipe(clean_recipe(), ctx, stages=built, engine=engine).report


@pytest.mark.parametrize("crashing", [CrashOnce, CrashOnceAfterSetup], ids=["task", "actor"])
def test_a_killed_worker_is_retried_and_the_output_is_complete(
    tmp_path: Path, crashing: type[Stage]
) -> None:
    marker = tmp_path / "crashed"
    run_clean(tmp_path / "local", clean_stages())
    report = run_clean(
        tmp_path / "ray", clean_stages(crashing({"marker": str(marker)})), on_ray=True
    )
    assert marker.exists()  # a worker process did die
    assert shards_joined(tmp_path / "ray") == outputs(tmp_path / "local")
    assert report["stages"][crashing.name]["rows_out"] == report["stages"]["dedupe"]["rows_out"]


def test_a_stage_with_setup_loads_once_per_worker_not_per_batch(tmp_path: Path) -> None:
    setups = tmp_path / "setups"
    report = run_clean(
        tmp_path / "ray", clean_stages(CountSetups({"marker": str(setups)})), on_ray=True
    )
    pids = setups.read_text().split()
    batches = report["stages"]["count_setups"]["batches"]
    assert batches >= 8  # 22 records in batches of 2, less the duplicates dedupe removed
    assert len(pids) == 2 and len(set(pids)) == 2  # one setup in each of the two actors
    # The actors' counters add up on the driver: every batch counted once.
    assert report["details"]["count_setups"] == {"batches_seen": batches}
    assert report["stages"]["count_setups"]["notes"] == {"batches": batches}


def test_a_failing_stage_names_itself_and_leaves_no_output(tmp_path: Path) -> None:
    with pytest.raises(StageError) as caught:
        run_clean(tmp_path / "ray", clean_stages(FailOnWorker()), on_ray=True)
    assert "fail_on_worker" in str(caught.value)
    assert "somewhere.jsonl:3: this batch cannot be read" in str(caught.value)
    assert list((tmp_path / "ray").iterdir()) == []


def test_a_bug_in_a_stage_is_raised_as_itself(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError, match="a bug in a stage"):
        run_clean(tmp_path / "ray", clean_stages(BreakOnWorker()), on_ray=True)
    assert list((tmp_path / "ray").iterdir()) == []


@pytest.mark.slow
def test_clean_runs_across_a_two_node_cluster(tmp_path: Path) -> None:
    """A head and a worker node started with ``ray start`` on this machine; the driver joins
    them with ``--ray-address`` in its own process, and both nodes map batches."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.ray_engine.two_nodes import node_env, two_node_cluster

    run_clean(tmp_path / "local", clean_stages())
    paths = [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]
    # Not RAY_ADDRESS: the session's own Ray instance sets it for its child processes.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    with two_node_cluster(env, tmp_path) as address:
        done = subprocess.run(
            [sys.executable, "-m", "tests.ray_engine.two_node_driver", address, str(tmp_path)],
            env=node_env(env),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shards_joined(tmp_path / "cli") == outputs(tmp_path / "local")
    assert shards_joined(tmp_path / "nodes") == outputs(tmp_path / "local")
    notes = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(notes["record_nodes"]) == 2, notes  # tasks ran on both nodes
    assert len(notes["record_actor_nodes"]) == 2, notes  # one actor on each node


def test_the_driver_hashes_no_text_the_workers_compute_the_signatures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataprep.clean.minhash import MinHasher

    run_clean(tmp_path / "local", clean_stages())

    def no_hashing_here(self: MinHasher, texts: list[str]) -> None:
        raise AssertionError(f"the driver hashed {len(texts)} texts")

    # Only this (the driver's) process is patched; Ray's workers hash with the real method.
    monkeypatch.setattr(MinHasher, "signatures", no_hashing_here)
    report = run_clean(tmp_path / "ray", clean_stages(), on_ray=True)
    assert shards_joined(tmp_path / "ray") == outputs(tmp_path / "local")
    assert report["details"]["dedupe"]["near_duplicates"] >= 1


def voice_outputs(folder: Path) -> dict[str, bytes]:
    """Every file of a voice output folder but the cache and the report, paths made relative."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] != ".dataprep-cache" and "report" not in path.name:
            found[str(relative)] = path.read_bytes().replace(str(folder).encode(), b"OUT")
    return found


@pytest.mark.model
@pytest.mark.slow
def test_voice_gives_a_single_threaded_local_runs_clips(tmp_path: Path) -> None:
    """Whisper's output depends on its thread count, and Ray's actors run with
    OMP_NUM_THREADS=1; so the reference is a local run with one thread, in its own process."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    source = FIXTURES / "voice" / "speakers" / "ben"
    args = ["voice", str(source), "--speaker", "ben", "-q", "--no-html-report", "--no-card"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-c", "from dataprep.cli import main; main()", *args]
    local = subprocess.run(
        [*command, "--out", str(tmp_path / "local")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert local.returncode == 0, local.stderr[-2000:]
    code, _, err = run_main(*args, "--out", tmp_path / "ray", "--engine", "ray")
    assert code == 0, err
    expected = voice_outputs(tmp_path / "local")
    assert "clips.jsonl" in expected and any(name.endswith(".wav") for name in expected)
    assert voice_outputs(tmp_path / "ray") == expected
