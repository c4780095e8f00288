"""``dataprep clean`` on the local engine vs ``--engine ray`` on a local Ray instance (issue 17).

Workloads, on synthetic ShareGPT conversations (``gen_conversations.py``: 4-10 turns, every
20th conversation a near-copy of an earlier one anywhere in the file):

- ``dedupe_split``: ``dataprep clean IN --out OUT/train.jsonl --no-pii -q`` (the default stages
  with PII off: read, dedupe, split, decontaminate with no eval file, write), on
  ``--conversations`` conversations (the issue asks for 5M; scale down to fit a run);
- ``dedupe_pii_split``: ``dataprep clean IN --out OUT/train.jsonl -q`` (PII on), on
  ``--pii-conversations`` conversations (the issue asks for 200k), every 10th naming a person
  with an e-mail address and a phone number.

Each workload runs four variants, each a fresh process, in rounds (interleaved, so the
variants share the machine's background load):

- ``local``: the command above, on every core;
- ``ray``, 2 worker CPUs: the command with ``--engine ray``, run by a small driver script
  that first calls ``ray.init(num_cpus=2, object_store_memory=--object-store-mb)`` and then
  the CLI in the same process (the CLI joins the instance the process is connected to, as
  with a Python caller's ``ray.init``), every core;
- ``local`` and ``ray`` with 1 worker CPU, the whole process tree pinned to core 0 with
  ``taskset -c 0``, so 1 CPU means one core for everything (driver included).

Measured per run: wall seconds of the whole command (start-up, imports and Ray start-up
included; Ray start-up is also timed apart), the per-stage seconds of the run report, the CPU
time (user + sys) and peak RSS (``VmHWM``) of every process of the tree, polled by
``process_tree.py``: the driver, each Ray worker process, the raylet (which holds the
object store) and the GCS. Every run's output must hold the local run's rows: per split
(``train``/``val``/``test``, single files or shards ``train-00000-of-000NN.jsonl``, read in
name order as one stream), the sha256 of the concatenated rows and of the sorted per-row
digests (the rows whatever their order) are compared with the local run of the same round.

Targets (issue 17): peak RSS per worker <= 2 GB with the object store bounded; 2 worker
CPUs >= 1.6x the throughput of 1; Ray's time <= 1.5x the local engine's on the same cores.
Results merge into benchmarks/results/ray.json (one entry per workload and size) and the
``ray_engine`` section of benchmarks/RESULTS.md is rewritten from that file.

With ``--voice FOLDER``, ``dataprep voice FOLDER --out OUT -q`` is timed too, local against
Ray with 2 worker CPUs (clip count and list files compared; on Ray, Whisper runs with one
thread per actor, so transcripts may differ from a local run on every core: docs/ray.md).

A run on a busy machine: Ray waits a fixed 30 s for its raylet to register, so ``ray.init``
is tried three times. Run sizes one at a time: 100k conversations cost about 50 CPU s on the
local engine and 85 on Ray (2 CPUs); 1M about 590 on the local engine.

Usage: python benchmarks/bench_ray.py [--conversations 100000] [--pii-conversations 0]
       [--variants local ray2 local1 ray1] [--rounds 1] [--object-store-mb 500]
       [--voice FOLDER] [--work-dir DIR] [--results JSON] [--note TEXT] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_conversations import write_conversations  # noqa: E402
from process_tree import TreeRun, run_measured  # noqa: E402
from ray_results import write_section  # noqa: E402

RESULTS_JSON = HERE / "results" / "ray.json"
START_MARK = "BENCH_RAY_START_SECONDS"
# name: (engine, worker CPUs, cores the process tree may use); ``None``: every core.
VARIANTS = {
    "local": ("local", None, None),
    "ray2": ("ray", 2, None),
    "local1": ("local", None, "0"),
    "ray1": ("ray", 1, "0"),
}


def ray_driver(cpus: int, store_mb: int, cli_args: list[str]) -> int:
    """Start a local Ray instance with ``cpus`` worker CPUs, then run the CLI in it."""
    import ray

    clock = time.perf_counter()
    for attempt in range(3):
        try:
            ray.init(
                num_cpus=cpus,
                object_store_memory=store_mb * 1024**2,
                include_dashboard=False,
                logging_level="WARNING",
            )
            break
        except Exception as error:  # Ray waits a fixed 30 s for its raylet: busy machines miss it
            ray.shutdown()
            print(f"ray.init attempt {attempt + 1} failed: {error}", file=sys.stderr, flush=True)
    else:
        return 3
    print(f"{START_MARK} {time.perf_counter() - clock:.3f}", file=sys.stderr, flush=True)
    from dataprep.cli import main

    try:
        main(cli_args)
    except SystemExit as done:
        return int(done.code or 0)
    finally:
        ray.shutdown()
    return 0


def clean_args(source: Path, out: Path, pii: bool, engine: str) -> list[str]:
    """The user's ``dataprep clean`` arguments for one run."""
    args = ["clean", str(source), "--out", str(out / "train.jsonl"), "-q"]
    args += [] if pii else ["--no-pii"]
    return args + (["--engine", "ray"] if engine == "ray" else [])


def digest_outputs(folder: Path) -> dict[str, dict[str, object]]:
    """Per split: rows, sha256 of the rows in order, sha256 of the sorted row digests."""
    splits: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        split = path.name.split(".")[0].split("-")[0]
        if split in ("train", "val", "test"):
            splits.setdefault(split, []).append(path)
    result: dict[str, dict[str, object]] = {}
    for split, paths in splits.items():
        ordered, row_digests = hashlib.sha256(), []
        for path in paths:
            with path.open("rb") as handle:
                for line in handle:
                    row = line.rstrip(b"\n")
                    ordered.update(row + b"\n")
                    row_digests.append(hashlib.sha256(row).digest())
        row_digests.sort()
        result[split] = {
            "files": len(paths),
            "rows": len(row_digests),
            "sha256": ordered.hexdigest()[:16],
            "sha256_any_order": hashlib.sha256(b"".join(row_digests)).hexdigest()[:16],
        }
    return result


def _role(pid: int, driver: int, name: str) -> str:
    if pid == driver:
        return "driver"
    if "raylet" in name:
        return "raylet"
    if "gcs_server" in name:
        return "gcs"
    if name.startswith("ray::") or "default_worker.py" in name:
        return "worker"
    return "other"


def summarize_tree(run: TreeRun, driver: int) -> dict[str, object]:
    """Peak RSS and CPU seconds by role (driver, worker, raylet, gcs, other)."""
    roles: dict[str, dict] = {}
    for figures in run.processes.values():
        role = _role(figures.pid, driver, figures.name)
        entry = roles.setdefault(role, {"processes": 0, "peak_rss_mb": 0.0, "cpu_seconds": 0.0})
        entry["processes"] += 1
        entry["peak_rss_mb"] = round(max(entry["peak_rss_mb"], figures.peak_rss_mb), 1)
        entry["cpu_seconds"] = round(entry["cpu_seconds"] + figures.cpu_seconds, 2)
        entry.setdefault("each", []).append(
            [round(figures.cpu_seconds, 1), round(figures.peak_rss_mb), figures.name[:40]]
        )
    return roles


def one_run(source: Path, out: Path, pii: bool, variant: tuple, store_mb: int) -> dict[str, object]:
    """One ``dataprep clean`` run; its figures and the digest of its outputs."""
    row = run_command(clean_args(source, out, pii, variant[0]), out, variant, store_mb)
    row["outputs"] = digest_outputs(out)
    return row


def run_command(args: list[str], out: Path, variant: tuple, store_mb: int) -> dict[str, object]:
    """Run ``dataprep ARGS`` as ``variant`` in a fresh, measured process tree."""
    engine, cpus, cores = variant
    command = [sys.executable, __file__, "--ray-driver", str(cpus), str(store_mb), "--", *args]
    if engine == "local":
        command = [sys.executable, "-c", "import sys; from dataprep.cli import main; main()", *args]
    command = (["taskset", "-c", cores] if cores else []) + command
    run = run_measured(command)
    if run.returncode:
        raise SystemExit(f"{engine} run failed ({run.returncode}):\n{run.stderr[-3000:]}")
    # Clean writes OUT/train.report.json; voice writes OUT.report.json beside its folder.
    report_path = next(
        iter([*out.glob("*report.json"), *out.parent.glob(f"{out.name}.report.json")])
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    start = [line for line in run.stderr.splitlines() if line.startswith(START_MARK)]
    return {
        "engine": engine,
        "worker_cpus": cpus,
        "cores": cores or "all",
        "command": "dataprep " + " ".join(args),
        "seconds": round(run.seconds, 2),
        "pipeline_seconds": round(float(report["seconds"]), 2),
        "ray_start_seconds": float(start[0].split()[1]) if start else None,
        "stage_seconds": _stage_seconds(report),
        "cpu_seconds": round(sum(p.cpu_seconds for p in run.processes.values()), 2),
        "processes": summarize_tree(run, run.pid),
    }


def _stage_seconds(report: dict) -> dict[str, float]:
    stages = report.get("stages") or []
    if isinstance(stages, dict):
        stages = [{"stage": key, **value} for key, value in stages.items()]
    return {
        str(stage.get("key") or stage.get("stage")): round(float(stage.get("seconds", 0.0)), 2)
        for stage in stages
        if isinstance(stage, dict)
    }


def measure(source: Path, work: Path, pii: bool, args: argparse.Namespace) -> list[dict]:
    """Every variant ``rounds`` times, interleaved; outputs checked against local's."""
    runs = []
    for number in range(args.rounds):
        reference = None
        for variant in (VARIANTS[name] for name in args.variants):
            engine, cpus, cores = variant
            out = work / f"{source.stem}-{engine}{cpus or ''}-{cores or 'all'}-{number}"
            out.mkdir()
            row = one_run(source, out, pii, variant, args.object_store_mb)
            reference = reference or row["outputs"]
            row["round"] = number
            row["same_output_as_local"] = row["outputs"] == reference
            row["same_rows_any_order"] = {
                split: figures["sha256_any_order"] for split, figures in row["outputs"].items()
            } == {split: figures["sha256_any_order"] for split, figures in reference.items()}
            runs.append(row)
            _remove(out)
            print(json.dumps({k: row[k] for k in row if k != "outputs"}), flush=True)
    return runs


def _remove(folder: Path) -> None:
    shutil.rmtree(folder)
    for path in folder.parent.glob(f"{folder.name}.report.*"):
        path.unlink()


def voice_digest(folder: Path) -> dict[str, object]:
    """Clip count and the sha256 of each list file (paths made relative to the folder)."""
    lists = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".jsonl", ".list", ".json", ".txt", ".csv"):
            if "report" in path.name or ".dataprep-cache" in path.parts:
                continue
            text = path.read_bytes().replace(str(folder).encode(), b"OUT")
            lists[str(path.relative_to(folder))] = hashlib.sha256(text).hexdigest()[:16]
    return {"clips": len(list(folder.rglob("*.wav"))), "lists": lists}


def _envelope(
    args: argparse.Namespace, started: datetime, load_start: tuple[float, ...], runs: list[dict]
) -> dict:
    """What every workload's entry records beside its own figures: when, under what load."""
    return {
        "object_store_mb": args.object_store_mb,
        "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "note": args.note,
        "runs": runs,
    }


def voice_workload(args: argparse.Namespace, work: Path) -> dict:
    """``dataprep voice AUDIO --out OUT -q`` on the local engine and on Ray with 2 CPUs."""
    import soundfile

    audio = [
        p
        for p in sorted(args.voice.rglob("*"))
        if p.suffix in (".wav", ".flac", ".opus", ".mp3", ".ogg")
    ]
    seconds = sum(soundfile.info(str(p)).duration for p in audio)
    started, load_start = datetime.now(timezone.utc), os.getloadavg()
    runs, reference = [], None
    for name in ("local", "ray2"):
        out = work / f"voice-{name}"
        args_ = ["voice", str(args.voice), "--out", str(out), "-q"]
        row = run_command(
            args_ + (["--engine", "ray"] if name == "ray2" else []),
            out,
            VARIANTS[name],
            args.object_store_mb,
        )
        row["outputs"] = voice_digest(out)
        reference = reference or row["outputs"]
        row["same_output_as_local"] = row["outputs"] == reference
        runs.append(row)
        _remove(out)
        print(json.dumps({k: row[k] for k in row if k != "outputs"}), flush=True)
    return {
        "workload": "voice",
        "audio_files": len(audio),
        "audio_seconds": round(seconds, 1),
        **_envelope(args, started, load_start, runs),
    }


def warm_up(work: Path, pii: bool, store_mb: int) -> None:
    """One small unrecorded run per engine: numba's compile cache and the OS page cache
    are filled before anything is timed."""
    source = work / f"warm-up{'-pii' if pii else ''}.jsonl"
    write_conversations(source, 2000, pii=pii, seed=2)
    for variant in (VARIANTS["local"], VARIANTS["ray2"]):
        out = work / f"warm-up-{variant[0]}"
        out.mkdir(exist_ok=True)
        one_run(source, out, pii, variant, store_mb)
        _remove(out)


def workload(args: argparse.Namespace, work: Path, key: str, count: int, pii: bool) -> dict:
    source = work / f"conversations-{count}{'-pii' if pii else ''}.jsonl"
    if not source.exists():
        clock = time.perf_counter()
        write_conversations(source, count, pii=pii)
        print(f"generated {source} in {time.perf_counter() - clock:.1f} s", flush=True)
    warm_up(work, pii, args.object_store_mb)
    started = datetime.now(timezone.utc)
    load_start = os.getloadavg()
    runs = measure(source, work, pii, args)
    return {
        "workload": key,
        "conversations": count,
        "input_mb": round(source.stat().st_size / 1024**2, 1),
        **_envelope(args, started, load_start, runs),
    }


def _save(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--pii-conversations", type=int, default=0)
    parser.add_argument(
        "--voice", type=Path, help="also time `dataprep voice` on this audio folder"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_JSON, help="JSON to merge into")
    parser.add_argument("--note", default="", help="a remark kept with the figures")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="local first: the others are compared with it",
    )
    parser.add_argument("--object-store-mb", type=int, default=500)
    parser.add_argument("--work-dir", type=Path, help="keep the generated inputs here")
    parser.add_argument("--fresh", action="store_true", help="drop earlier entries of ray.json")
    parser.add_argument("--ray-driver", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("cli_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ray_driver:
        return ray_driver(*args.ray_driver, args.cli_args)
    results = (
        {} if args.fresh or not args.results.exists() else json.loads(args.results.read_text())
    )
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        work = args.work_dir or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        for key, count, pii in (
            ("dedupe_split", args.conversations, False),
            ("dedupe_pii_split", args.pii_conversations, True),
        ):
            if count:
                results[f"{key}_{count}"] = workload(args, work, key, count, pii)
                _save(results, args.results)
        if args.voice:
            results["voice"] = voice_workload(args, work)
            _save(results, args.results)
    write_section(results)
    print(f"wrote {args.results} and the ray_engine section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
