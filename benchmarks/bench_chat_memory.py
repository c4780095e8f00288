"""Peak memory of the whole chat recipe with dedupe, PII scrubbing and splits on.

Generates a synthetic WhatsApp export with benchmarks/gen_whatsapp.py (``--messages``,
default 1,000,000), then runs ``dataprep chat`` twice in child processes and records each
one's peak RSS (``ru_maxrss`` of the child) and wall time:

- ``chat``: the shipped chat recipe without ``dedupe``, ``scrub_pii`` and ``split``;
- ``chat_with_clean``: the same recipe with them before ``write_conversations`` (as
  shipped, with the parameters of pipelines/chat.yaml).

The target is a peak under 4 GiB for the run with every stage on.

Usage: python benchmarks/bench_chat_memory.py [--messages 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLEAN_STAGES = [{"stage": "dedupe"}, {"stage": "scrub_pii"}, {"stage": "split"}]


def recipes(folder: Path) -> tuple[Path, Path]:
    """The shipped chat recipe without and with the clean stages, as two files."""
    recipe = yaml.safe_load(
        (REPO / "src" / "dataprep" / "recipes" / "chat.yaml").read_text(encoding="utf-8")
    )
    clean_names = {spec["stage"] for spec in CLEAN_STAGES}
    plain = [spec for spec in recipe["stages"] if spec["stage"] not in clean_names]
    at = [spec["stage"] for spec in plain].index("write_conversations")
    shipped = [spec for spec in recipe["stages"] if spec["stage"] in clean_names] or CLEAN_STAGES
    paths = []
    for name, stages in (
        ("chat_plain", plain),
        ("chat_with_clean", plain[:at] + shipped + plain[at:]),
    ):
        path = folder / f"{name}.yaml"
        path.write_text(
            yaml.safe_dump({**recipe, "stages": stages}, sort_keys=False), encoding="utf-8"
        )
        paths.append(path)
    return paths[0], paths[1]


def measure(command: list[str]) -> dict[str, float]:
    """Run ``command`` in a child; its peak RSS comes from wait4's rusage."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return {
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "chat_memory")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "chat_memory.json")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    export = args.work / f"whatsapp_{args.messages}.txt"
    if not export.exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_whatsapp.py"),
                str(export),
                "--messages",
                str(args.messages),
            ],
            check=True,
        )
    dataprep = str(Path(sys.executable).with_name("dataprep"))
    common = [str(export), "--me", "Colin", "-q"]
    for name in ("plain", "clean"):
        (args.work / name).mkdir(exist_ok=True)
    plain, with_clean = recipes(args.work)
    runs = {
        "chat": measure(
            [
                dataprep,
                "chat",
                *common,
                "--out",
                str(args.work / "plain" / "train.jsonl"),
                "--recipe",
                str(plain),
            ]
        ),
        "chat_with_clean": measure(
            [
                dataprep,
                "chat",
                *common,
                "--out",
                str(args.work / "clean" / "train.jsonl"),
                "--recipe",
                str(with_clean),
            ]
        ),
    }
    report = json.loads((args.work / "clean" / "train.report.json").read_text(encoding="utf-8"))
    stages = report["stages"]
    result = {
        "messages": args.messages,
        "runs": runs,
        "target_peak_rss_mib": 4096,
        "within_target": runs["chat_with_clean"]["peak_rss_mib"] < 4096,
        "samples_in": stages["dedupe"]["rows_in"],
        "stage_seconds": {key: value["seconds"] for key, value in stages.items()},
        "rejected": {key: value["rejected"] for key, value in stages.items() if value["rejected"]},
        "pii_findings": report.get("details", {}).get("scrub_pii", {}).get("findings_by_entity"),
        "split": report.get("details", {}).get("split", {}).get("splits"),
        "self_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
