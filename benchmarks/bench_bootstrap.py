"""Benchmark: ``dataprep bootstrap`` at concurrency 32 against concurrency 1.

The loopback OpenAI-compatible test server runs in its own process and answers every
request after 200 ms. Each configuration generates 500 SFT rows (500 requests) in a fresh
subprocess with a fresh cache; the time of the ``run_bootstrap`` call is measured inside
that process (imports excluded) and the whole process is timed too. The target: the
concurrency-32 run is at least 15x faster, and both write byte-identical rows.

    .venv/bin/python benchmarks/bench_bootstrap.py [--n 500] [--latency 0.2]

Writes benchmarks/results/bootstrap_speed.json and its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "work" / "bootstrap"
RESULTS = REPO / "benchmarks" / "results" / "bootstrap_speed.json"
RESULTS_MD = REPO / "benchmarks" / "RESULTS.md"
SEEDS = REPO / "fixtures" / "bootstrap" / "persona_seeds.jsonl"
SERVER = REPO / "tests" / "bootstrap" / "fake_openai_server.py"
TARGET_SPEEDUP = 15.0
KEY_ENV = "BENCH_BOOTSTRAP_KEY"

# Runs inside a fresh interpreter: import first, then time only the bootstrap call.
_CHILD = """
import json, sys, time
from pathlib import Path
from dataprep.bootstrap import BootstrapConfig, run_bootstrap
import openai, datasketch, dataprep.validate  # noqa: F401 - imported before the clock starts
base_url, n, concurrency, out, cache = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
config = BootstrapConfig.make(n=n, model="bench-model", base_url=base_url, api_key_env=sys.argv[7],
                              concurrency=concurrency, seed=0, cache_dir=Path(cache))
start = time.perf_counter()
result = run_bootstrap(config, Path(sys.argv[6]), Path(out))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "accepted": result.report["accepted"],
                  "requests": result.report["usage"]["requests"],
                  "cached": result.report["usage"]["cached_requests"],
                  "rejected": result.report["rejected"]}))
"""


def server_stats(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def run_once(base_url: str, n: int, concurrency: int) -> dict[str, object]:
    out = WORK / f"c{concurrency}.jsonl"
    cache = WORK / f"cache-c{concurrency}"
    shutil.rmtree(cache, ignore_errors=True)
    before = server_stats(base_url)
    started = time.perf_counter()
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            base_url,
            str(n),
            str(concurrency),
            str(out),
            str(cache),
            str(SEEDS),
            KEY_ENV,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, KEY_ENV: "bench-key"},
        check=True,
    )
    process_seconds = time.perf_counter() - started
    after = server_stats(base_url)
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "concurrency": concurrency,
        "seconds": round(measured["seconds"], 3),
        "process_seconds": round(process_seconds, 3),
        "accepted": measured["accepted"],
        "requests_sent": after["successes"] - before["successes"],
        "rejected": measured["rejected"],
        "rows_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, str(SERVER), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        load = os.getloadavg()
        fast = run_once(base_url, args.n, 32)
        slow = run_once(base_url, args.n, 1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    speedup = float(slow["seconds"]) / float(fast["seconds"])  # type: ignore[arg-type]
    result = {
        "benchmark": "bootstrap_speed",
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load],
        "server_latency_s": args.latency,
        "n": args.n,
        "runs": [fast, slow],
        "speedup": round(speedup, 2),
        "target_speedup": TARGET_SPEEDUP,
        "target_met": speedup >= TARGET_SPEEDUP,
        "identical_rows": fast["rows_sha256"] == slow["rows_sha256"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result)
    print(json.dumps(result, indent=2))


def write_markdown(result: dict[str, object]) -> None:
    runs = result["runs"]
    assert isinstance(runs, list)
    lines = [
        "<!-- bootstrap_speed:start -->",
        "## Bootstrap speed: concurrency 32 vs 1 (`dataprep bootstrap`, loopback server)",
        "",
        f"Measured {result['measured']} by `benchmarks/bench_bootstrap.py` on {result['cpus']} cores, load average "
        f"at start {result['load_average_at_start']}. The test server (`tests/bootstrap/fake_openai_server.py`, its own "
        f"process) answers each request after {result['server_latency_s'] * 1000:.0f} ms; each run asks for "
        f"{result['n']} SFT rows from `fixtures/bootstrap/persona_seeds.jsonl` with `--seed 0` and a fresh cache, "
        "through the real `openai` SDK. `run_bootstrap` s is timed inside the process (imports excluded); process s "
        "is the whole subprocess. One run each.",
        "",
        "| concurrency | run_bootstrap (s) | process (s) | requests sent | rows accepted | rows sha256 |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['concurrency']} | {run['seconds']} | {run['process_seconds']} | {run['requests_sent']} | "
            f"{run['accepted']} | `{str(run['rows_sha256'])[:16]}` |"
        )
    verdict = "met" if result["target_met"] else "MISSED"
    lines += [
        "",
        f"- Concurrency 32 is **{result['speedup']}x** faster than concurrency 1 "
        f"(target >= {result['target_speedup']:.0f}x: {verdict}).",
        f"- Accepted rows identical for the same seed: {'yes' if result['identical_rows'] else 'NO'}.",
        "<!-- bootstrap_speed:end -->",
    ]
    section = "\n".join(lines)
    text = (
        RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmark results\n"
    )
    start, end = "<!-- bootstrap_speed:start -->", "<!-- bootstrap_speed:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
