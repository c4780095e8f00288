"""Chat speed benchmark: `dataprep chat` end to end vs chat-miner's WhatsApp parser.

In one run, on the same synthetic 1,000,000-message WhatsApp export (benchmarks/gen_whatsapp.py):
  (a) chat-miner's ``WhatsAppParser`` parse alone (the PyPI peer), wall time and lines/s;
  (b) our WhatsApp reader alone;
  (c) the default command, ``dataprep chat FILE --me Colin --no-pii --eval EVAL --out ...``:
      dedupe, split and decontamination on (EVAL holds messages copied from the export plus
      unrelated questions, so decontamination removes samples), with its peak RSS and the
      seconds of each stage from the run's report.
Each measurement runs in its own subprocess, so peak RSS is that process's alone. Figures go
to benchmarks/results/chat_speed.json and the "chat speed" section of benchmarks/RESULTS.md.

Targets (issues 2 and 15): (c) at least 5x faster than (a) and at most 2 GB peak RSS; dedupe
plus split no longer than the parse stages (read_chat to build_samples) of the same run.

Usage: python benchmarks/bench_chat.py [--messages 1000000] [--repeats 3] [--peer-repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from gen_whatsapp import write_export  # noqa: E402
from results_section import replace_section  # noqa: E402

# The two "alone" measurements time the parse inside the process (imports and interpreter
# start excluded); the end-to-end figure is the whole `dataprep chat` process, start included.
PEER_CODE = """
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from chatminer.chatparsers import WhatsAppParser
start = time.perf_counter()
parser = WhatsAppParser(sys.argv[1])
parser.parse_file()
seconds = time.perf_counter() - start
print(json.dumps({"messages": len(parser.parsed_messages._parsed_messages), "seconds": seconds}))
"""

OURS_CODE = """
import json, sys, time
from pathlib import Path
from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.whatsapp import WhatsAppReader
start = time.perf_counter()
frames = list(WhatsAppReader().read(Path(sys.argv[1]), ReaderOptions(), lambda *row: None))
seconds = time.perf_counter() - start
print(json.dumps({"messages": sum(frame.height for frame in frames), "seconds": seconds}))
"""


PARSE_STAGES = ("read_chat", "clean_messages", "assign_roles", "sessionize", "build_samples")


def write_eval(path: Path, export: Path, copied: int = 200) -> int:
    """An evaluation file: ``copied`` long messages of the export (every 997th line with at
    least 13 words) and unrelated questions; returns the number of items."""
    items = [
        "What is the capital of Australia, and why is it not Sydney?",
        "Which planet in the solar system has the most confirmed moons?",
        "Explain the difference between a list and a tuple in Python.",
    ]
    with open(export, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if len(items) >= copied + 3:
                break
            _, sep, body = line.partition(" - ")
            text = body.partition(": ")[2].strip() if sep else ""
            if number % 997 == 0 and len(text.split()) >= 13:
                items.append(text)
    path.write_text(
        "".join(json.dumps({"question": item}) + "\n" for item in items), encoding="utf-8"
    )
    return len(items)


def measure(command: list[str], env: dict[str, str] | None = None) -> dict[str, float | str]:
    """Run ``command``; wall seconds, CPU seconds and peak RSS (sampled every 20 ms).

    CPU seconds (user + system of the finished child) are less sensitive than wall time to
    other work on a shared machine, so both are recorded.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = psutil.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO, text=True
    )
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.02)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr[-2000:]}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 2**20,
        "stdout": stdout.strip(),
    }


def summarize(runs: list[dict[str, float | str]], *, inner: bool = False) -> dict[str, object]:
    """Medians and lists of ``runs``; with ``inner`` each process reported its own parse time."""
    reported = [json.loads(str(run["stdout"])) for run in runs] if inner else []
    seconds = [r["seconds"] for r in reported] if inner else [float(run["seconds"]) for run in runs]
    entry: dict[str, object] = {
        "runs_seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "process_wall_seconds": [round(float(run["seconds"]), 3) for run in runs],
        "process_cpu_seconds": [round(float(run["cpu_seconds"]), 3) for run in runs],
        "peak_rss_mb": round(max(float(run["peak_rss_mb"]) for run in runs), 1),
    }
    if inner:
        entry["messages_parsed"] = reported[-1]["messages"]
    return entry


def interleaved(
    commands: dict[str, list[str]],
    times: dict[str, int],
    env: dict[str, str],
    reports: dict[str, Path],
) -> dict[str, list]:
    """Run the commands in rounds (a, b, c, a, b, c, ...) so that on a shared machine each
    sees about the same background load, instead of one measured in a quiet minute. A command
    with a report file gets that run's stage seconds attached."""
    rounds = max(times.values())
    # A command run fewer times than there are rounds is spread evenly (once: the middle round).
    chosen = {name: {int((i + 0.5) * rounds / n) for i in range(n)} for name, n in times.items()}
    runs: dict[str, list] = {name: [] for name in commands}
    for round_ in range(rounds):
        for name, command in commands.items():
            if round_ in chosen[name]:
                run = measure(command, env)
                if name in reports:
                    report = json.loads(reports[name].read_text(encoding="utf-8"))
                    run["stages"] = {k: v["seconds"] for k, v in report["stages"].items()}
                runs[name].append(run)
    return runs


def machine() -> dict[str, object]:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("polars", "chat-miner", "finetune-dataprep")}


def write_section(result: dict[str, object]) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md, leaving the others alone."""
    peer, ours, e2e = result["peer_parse"], result["our_reader"], result["dataprep_chat"]
    lines = [
        f"## Chat speed: `dataprep chat` vs chat-miner (WhatsApp, {result['input']['messages']:,} messages)",
        "",
        f"Measured {result['date']} by `benchmarks/bench_chat.py` on {result['machine']['nproc']} cores "
        f"({result['machine']['cpu_model']}, shared with other work: load average "
        f"{result['machine']['load_average_at_start']} at start, {result['machine']['load_average_at_end']} at end). "
        f"Input: synthetic export, {result['input']['messages']:,} messages, {result['input']['lines']:,} lines, "
        f"{result['input']['megabytes']} MB. Medians of the runs listed; each run is a fresh subprocess, "
        "and the three measurements run interleaved in rounds so that they share the background load. "
        "The two parse-alone rows time the parse inside the process (start-up and imports excluded); "
        "the end-to-end row is the whole `dataprep chat` process, start-up included.",
        "",
        "| measurement | runs (s) | median (s) | lines/s | process CPU s (user+sys) | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for label, entry in (
        ("chat-miner 0.6.0 `WhatsAppParser` parse alone (peer)", peer),
        ("dataprep WhatsApp reader alone", ours),
        (
            f"`{result['dataprep_chat']['command']}` end to end (the default stages, PII scrubbing off)",
            e2e,
        ),
    ):
        lines.append(
            f"| {label} | {', '.join(str(s) for s in entry['runs_seconds'])} | {entry['median_seconds']} "
            f"| {entry['lines_per_second']:,} | {', '.join(str(c) for c in entry['process_cpu_seconds'])} "
            f"| {entry['peak_rss_mb']} |"
        )
    targets = result["targets"]
    lines += [
        "",
        f"- End to end is **{targets['speedup_vs_peer_parse']}x** faster than the peer's parse alone "
        f"(target >= 5x: {'met' if targets['speedup_met'] else 'MISSED'}); "
        f"peak RSS {e2e['peak_rss_mb']} MB (target <= 2048 MB: {'met' if targets['memory_met'] else 'MISSED'}).",
        f"- Our reader alone is {targets['reader_speedup_vs_peer_parse']}x faster than the peer's parse. "
        f"In CPU time (whole processes, start-up included on both sides) `dataprep chat` uses "
        f"{targets['cpu_speedup_vs_peer_process']}x less than the peer's parse.",
        f"- dedupe + split per run: {', '.join(str(x) for x in result['dedupe_plus_split_seconds_runs'])} s; "
        f"the parse stages ({', '.join(PARSE_STAGES)}) of the same runs: "
        f"{', '.join(str(x) for x in result['parse_stages_seconds_runs'])} s; median ratio "
        f"**{targets['dedupe_split_vs_parse']}** (target <= 1: "
        f"{'met' if targets['dedupe_split_within_parse'] else 'MISSED'}).",
        f"- The evaluation file has {result['dataprep_chat']['eval_items']} items; decontamination "
        f"removed {result['dataprep_chat']['decontaminated']} samples, dedupe "
        f"{result['dataprep_chat']['near_duplicates']} near duplicates; "
        f"{result['dataprep_chat']['samples_written']:,} samples written.",
        "- Per-stage seconds of the last end-to-end run: "
        + ", ".join(f"{name} {seconds}" for name, seconds in result["stage_seconds"].items())
        + ".",
    ]
    replace_section("chat_speed", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of our reader and of the pipeline"
    )
    parser.add_argument("--peer-repeats", type=int, default=1, help="runs of chat-miner (slow)")
    args = parser.parse_args()

    info = machine()
    export = WORK / f"whatsapp_{args.messages}.txt"
    line_count = write_export(export, args.messages)
    python = sys.executable
    dataprep = str(Path(python).with_name("dataprep"))
    out_dir = WORK / "chat_out"
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TQDM_DISABLE": "1"}

    eval_file = WORK / f"eval_{args.messages}.jsonl"
    eval_items = write_eval(eval_file, export)
    chat_command = [
        dataprep, "chat", str(export), "--me", "Colin", "--no-pii", "--eval", str(eval_file),
        "--out", str(out_dir / "train.jsonl"), "-q",
    ]  # fmt: skip
    commands = {
        "e2e": chat_command,
        "ours": [python, "-c", OURS_CODE, str(export)],
        "peer": [python, "-c", PEER_CODE, str(export)],
    }
    runs = interleaved(
        commands,
        {"e2e": args.repeats, "ours": args.repeats, "peer": args.peer_repeats},
        env,
        {"e2e": out_dir / "train.report.json"},
    )
    peer = summarize(runs["peer"], inner=True)
    ours = summarize(runs["ours"], inner=True)
    e2e = summarize(runs["e2e"])
    report = json.loads((out_dir / "train.report.json").read_text(encoding="utf-8"))
    stage_runs = [run["stages"] for run in runs["e2e"]]
    parse_runs = [sum(stages[k] for k in PARSE_STAGES) for stages in stage_runs]
    clean_runs = [stages["dedupe"] + stages["split"] for stages in stage_runs]

    for entry in (peer, ours, e2e):
        entry["lines_per_second"] = round(line_count / float(entry["median_seconds"]))
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    speedup = float(peer["median_seconds"]) / float(e2e["median_seconds"])
    cpu_speedup = statistics.median(peer["process_cpu_seconds"]) / statistics.median(
        e2e["process_cpu_seconds"]
    )
    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "versions": versions(),
        "input": {
            "messages": args.messages,
            "lines": line_count,
            "megabytes": round(export.stat().st_size / 2**20, 1),
            "generator": "benchmarks/gen_whatsapp.py (seed 7)",
        },
        "peer_parse": peer,
        "our_reader": ours,
        "dataprep_chat": {
            **e2e,
            "command": "dataprep "
            + " ".join(Path(a).name if "/" in a else a for a in chat_command[1:]),
            "samples_written": report["stages"]["write_conversations"]["rows_in"],
            "eval_items": eval_items,
            "decontaminated": report["stages"]["decontaminate"]["rejected_total"],
            "near_duplicates": report["details"]["dedupe"]["near_duplicates"],
        },
        "stage_seconds": {name: stage["seconds"] for name, stage in report["stages"].items()},
        "stage_seconds_runs": stage_runs,
        "parse_stages_seconds_runs": [round(x, 3) for x in parse_runs],
        "dedupe_plus_split_seconds_runs": [round(x, 3) for x in clean_runs],
        "targets": {
            "speedup_vs_peer_parse": round(speedup, 2),
            "speedup_met": speedup >= 5,
            "cpu_speedup_vs_peer_process": round(cpu_speedup, 2),
            "reader_speedup_vs_peer_parse": round(
                float(peer["median_seconds"]) / float(ours["median_seconds"]), 2
            ),
            "memory_met": float(e2e["peak_rss_mb"]) <= 2048,
            "dedupe_split_vs_parse": round(
                statistics.median(clean_runs) / statistics.median(parse_runs), 2
            ),
            "dedupe_split_within_parse": statistics.median(clean_runs)
            <= statistics.median(parse_runs),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chat_speed.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_section(result)
    print(json.dumps(result["targets"]), file=sys.stderr)


if __name__ == "__main__":
    main()
