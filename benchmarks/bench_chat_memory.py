"""Peak memory of `dataprep chat --no-pii` against the size of a single-chat WhatsApp export.

For each size in ``--sizes-mb`` (default 300 and 1200) the script generates one synthetic
single-chat export with benchmarks/gen_whatsapp.py and measures, each in its own child process
(peak RSS from wait4's ``ru_maxrss``):

- ``reader``: the WhatsApp reader alone, draining its batches (the input side);
- ``chat``: ``dataprep chat EXPORT --me Colin --no-pii --out ...``, the default stages with PII
  scrubbing off (dedupe, split, decontamination, write);
- ``downstream``: ``dataprep clean SAMPLES --no-pii --out ...`` on the samples the chat run
  wrote: dedupe, split, decontamination and the writer on their own, fed by a reader that
  streams bounded batches, so its peak shows whether the stages after the readers stay flat.

Targets (issue 15): ``chat`` <= 1 GB on 300 MB and <= 1.2 GB on 1.2 GB (memory flat in the
input size). Figures go to benchmarks/results/chat_memory.json and the "chat memory" section
of benchmarks/RESULTS.md.

Usage: python benchmarks/bench_chat_memory.py [--sizes-mb 300 1200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_whatsapp import write_export  # noqa: E402
from results_section import replace_section  # noqa: E402

# Messages per MB of the generator's output (1,000,000 messages are 80.4 MB).
MESSAGES_PER_MB = 12_440
TARGETS_MB = {300: 1024, 1200: 1229}

READER_CODE = """
import json, sys
from pathlib import Path
from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.whatsapp import WhatsAppReader
batches = rows = largest = 0
for frame in WhatsAppReader().read(Path(sys.argv[1]), ReaderOptions(), lambda *row: None):
    batches += 1
    rows += frame.height
    largest = max(largest, frame.height)
print(json.dumps({"messages": rows, "batches": batches, "largest_batch": largest}))
"""


def measure(command: list[str]) -> dict[str, object]:
    """Run ``command`` in a child; its peak RSS comes from wait4's rusage."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stdout = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return {
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "stdout": stdout.strip(),
    }


def one_size(size_mb: int, work: Path, dataprep: str) -> dict[str, object]:
    folder = work / f"{size_mb}mb"
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "whatsapp.txt"
    messages = size_mb * MESSAGES_PER_MB
    if not export.exists():
        write_export(export, messages)
    reader = measure([sys.executable, "-c", READER_CODE, str(export)])
    reader.update(json.loads(str(reader.pop("stdout"))))
    chat_out = folder / "chat" / "train.jsonl"
    chat_out.parent.mkdir(exist_ok=True)
    chat = measure(
        [dataprep, "chat", str(export), "--me", "Colin", "--no-pii", "--out", str(chat_out), "-q"]
    )
    chat.pop("stdout")
    report = json.loads(chat_out.with_name("train.report.json").read_text(encoding="utf-8"))
    samples = folder / "samples.jsonl"
    with open(samples, "wb") as handle:
        for split in ("train", "val", "test"):
            part = chat_out.with_name(f"{split}.jsonl")
            if part.exists():
                handle.write(part.read_bytes())
    clean_out = folder / "clean" / "train.jsonl"
    clean_out.parent.mkdir(exist_ok=True)
    downstream = measure(
        [dataprep, "clean", str(samples), "--no-pii", "--out", str(clean_out), "-q"]
    )
    downstream.pop("stdout")
    return {
        "export_mb": round(export.stat().st_size / 2**20, 1),
        "messages": messages,
        "samples": report["stages"]["build_samples"]["rows_out"],
        "reader": reader,
        "chat": chat,
        "chat_stage_seconds": {k: v["seconds"] for k, v in report["stages"].items()},
        "downstream": downstream,
        "target_mib": TARGETS_MB.get(size_mb),
        "within_target": chat["peak_rss_mib"] <= TARGETS_MB.get(size_mb, float("inf")),
    }


def write_section(result: dict[str, object]) -> None:
    lines = [
        "## Chat memory: peak RSS of `dataprep chat --no-pii` against the export's size",
        "",
        f"Measured {result['date']} by `benchmarks/bench_chat_memory.py` on the shared 2-core "
        "machine. One synthetic single-chat WhatsApp export per size (gen_whatsapp.py, seed 7). "
        "Each row is its own child process; peak RSS is its `ru_maxrss`.",
        "",
        "| export | messages | samples | measurement | peak RSS (MiB) | wall (s) | CPU (s) |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for entry in result["sizes"]:  # type: ignore[attr-defined]
        for label, key in (
            (
                f"WhatsApp reader alone ({entry['reader']['batches']} batch(es), largest "
                f"{entry['reader']['largest_batch']:,} messages)",
                "reader",
            ),
            ("`dataprep chat EXPORT --me Colin --no-pii` (target)", "chat"),
            ("`dataprep clean SAMPLES --no-pii` (the stages after the reader)", "downstream"),
        ):
            run = entry[key]
            lines.append(
                f"| {entry['export_mb']} MB | {entry['messages']:,} | {entry['samples']:,} | {label} "
                f"| {run['peak_rss_mib']:,} | {run['wall_seconds']} | {run['cpu_seconds']} |"
            )
    lines.append("")
    for entry in result["sizes"]:  # type: ignore[attr-defined]
        lines.append(
            f"- {entry['export_mb']} MB: `dataprep chat` peaks at {entry['chat']['peak_rss_mib']:,} MiB "
            f"(target <= {entry['target_mib']} MiB: {'met' if entry['within_target'] else 'MISSED'}); "
            f"the reader alone at {entry['reader']['peak_rss_mib']:,} MiB."
        )
    replace_section("clean_chat_memory", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[300, 1200])
    parser.add_argument("--work", type=Path, default=HERE / "work" / "chat_memory")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "chat_memory.json")
    args = parser.parse_args()
    dataprep = str(Path(sys.executable).with_name("dataprep"))
    result: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "sizes": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for size in args.sizes_mb:
        result["sizes"].append(one_size(size, args.work, dataprep))  # type: ignore[attr-defined]
        # Written after every size: the largest may not fit in the machine's memory.
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        write_section(result)
    print(json.dumps([(e["export_mb"], e["chat"]["peak_rss_mib"]) for e in result["sizes"]]))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
