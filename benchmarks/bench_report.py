"""Benchmark: ``dataprep report`` on a 1M-message chat output and on a one-hour voice dataset.

For each kind, in the same run and on the same data:

- the pipeline that makes the dataset (the peer): ``dataprep chat --no-pii`` on a synthetic
  1,000,000-message WhatsApp export, ``dataprep voice`` on the one-hour espeak-ng file of
  bench_voice.py; both with ``--no-html-report --no-card`` so they do not include the page;
- ``dataprep report`` on that output: wall and CPU time, peak RSS of the process tree;
- the page: its size, and the time it takes to become interactive in headless chromium
  (Debian's package, network off): from navigation start to the moment the page script has
  drawn every section (``performance.now()`` at the end of its ``main``), median of 3 cold loads.

Targets: report time <= 25% of the pipeline's, peak RSS <= 1 GB, page <= 5 MB without audio,
interactive <= 2 s. Writes benchmarks/results/report.json and the "report" section of
benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_report.py            # full run (~10 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_report.py --quick    # 100k messages, 2 minutes of audio
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _results import replace_section  # noqa: E402
from bench_chat import machine, measure  # noqa: E402
from gen_whatsapp import write_export  # noqa: E402

WORK = HERE / "work" / "report"
RESULTS = HERE / "results" / "report.json"
DATAPREP = str(Path(sys.executable).with_name("dataprep"))
PAGE_FLAGS = ["--no-html-report", "--no-card"]


def time_to_interactive(page: Path, loads: int = 3) -> dict[str, object]:
    """Milliseconds from navigation start to the end of the page script, cold loads."""
    from tests.report.browser import console_errors, open_browser

    readings = []
    for _ in range(loads):
        with open_browser() as driver:
            driver.get(page.as_uri())
            for _ in range(400):
                ready = driver.execute_script(
                    "return window.dataprepReport && window.dataprepReport.readyMs"
                )
                if ready:
                    break
                time.sleep(0.025)
            else:
                raise SystemExit(f"{page} never became interactive: {console_errors(driver)}")
            dom = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return t.domContentLoadedEventEnd"
            )
            readings.append(
                {
                    "interactive_ms": round(float(ready), 1),
                    "dom_content_loaded_ms": round(float(dom), 1),
                }
            )
            errors = console_errors(driver)
            if errors:
                raise SystemExit(f"console errors on {page}: {errors}")
    return {
        "loads": readings,
        "median_interactive_ms": statistics.median(r["interactive_ms"] for r in readings),
    }


def compare(kind: str, pipeline: list[str], output: Path, page: Path) -> dict[str, object]:
    """The pipeline, then the report on its output (each a fresh process)."""
    made = measure(pipeline)
    report = measure([DATAPREP, "report", str(output), "--out", str(page)])
    size = page.stat().st_size
    return {
        "kind": kind,
        "pipeline": {k: round(float(v), 3) for k, v in made.items() if k != "stdout"},
        "report": {k: round(float(v), 3) for k, v in report.items() if k != "stdout"},
        "time_ratio": round(float(report["seconds"]) / float(made["seconds"]), 4),
        "cpu_ratio": round(float(report["cpu_seconds"]) / float(made["cpu_seconds"]), 4),
        "page_bytes": size,
        "browser": time_to_interactive(page),
    }


def chat_case(messages: int) -> dict[str, object]:
    export = WORK / f"whatsapp_{messages}.txt"
    write_export(export, messages)
    out = WORK / "chat_out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pipeline = [DATAPREP, "chat", str(export), "--me", "Colin", "--out", str(out / "train.jsonl")]
    result = compare(
        "chat", [*pipeline, "--no-pii", "-q", *PAGE_FLAGS], out, WORK / "chat.report.html"
    )
    result["input"] = {"messages": messages, "rows": sum(
        len(p.read_text(encoding="utf-8").splitlines()) for p in out.glob("*.jsonl") if ".sources." not in p.name
    )}  # fmt: skip
    return result


def voice_case(quick: bool) -> dict[str, object]:
    from bench_voice import build_inputs

    speech, long_file, seconds = build_inputs(2.0, 2, hour=not quick)
    folder = speech if quick else long_file.parent  # type: ignore[union-attr]
    out = WORK / "voice_out"
    shutil.rmtree(out, ignore_errors=True)
    pipeline = [DATAPREP, "voice", str(folder), "--out", str(out), "--no-cache", "-q", *PAGE_FLAGS]
    result = compare("voice", pipeline, out, out / "report.html")
    result["input"] = {
        "audio_seconds": round(seconds if quick else 3600.0, 1),
        "clips": len((out / "clips.jsonl").read_text(encoding="utf-8").splitlines()),
    }
    return result


def verdicts(case: dict) -> list[str]:
    report, browser = case["report"], case["browser"]
    checks = [
        ("time", case["time_ratio"] <= 0.25, f"{case['time_ratio']:.1%} of the pipeline's time"),
        ("peak RSS", report["peak_rss_mb"] <= 1024, f"{report['peak_rss_mb']:.0f} MB"),
        ("page size", case["page_bytes"] <= 5_000_000, f"{case['page_bytes'] / 1e6:.2f} MB"),
        (
            "interactive",
            browser["median_interactive_ms"] <= 2000,
            f"{browser['median_interactive_ms']:.0f} ms",
        ),
    ]
    return [f"{name}: {text} ({'met' if ok else 'NOT met'})" for name, ok, text in checks]


def write_section(result: dict) -> None:
    info = result["machine"]
    lines = [
        "<!-- report_speed:start -->",
        "## Report: `dataprep report` on a 1M-message chat output and a one-hour voice dataset",
        "",
        f"Measured {result['date']} by `benchmarks/bench_report.py` on {info['nproc']} cores ({info['cpu_model']}), "
        f"shared with other work: load average {info['load_average_at_start']} at start, {info['load_average_at_end']} at end, "
        "so wall times are noisy; CPU seconds are less so. Each command is a fresh process; peak RSS is its process "
        "tree's, sampled every 20 ms. The pipeline (peer) ran with `--no-html-report --no-card`. Interactive = "
        "navigation start to the end of the page script in headless chromium (network off), median of 3 cold loads.",
        "",
        "| data | pipeline wall / CPU s | pipeline peak RSS MB | report wall / CPU s | report peak RSS MB | report/pipeline wall (CPU) | page MB | interactive ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in result["cases"]:
        p, r = case["pipeline"], case["report"]
        label = (
            f"chat: {case['input']['messages']:,} messages -> {case['input']['rows']:,} rows"
            if case["kind"] == "chat"
            else f"voice: {case['input']['audio_seconds']:.0f} s of audio -> {case['input']['clips']} clips"
        )
        lines.append(
            f"| {label} | {p['seconds']:.1f} / {p['cpu_seconds']:.1f} | {p['peak_rss_mb']:.0f} | "
            f"{r['seconds']:.1f} / {r['cpu_seconds']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{case['time_ratio']:.1%} ({case['cpu_ratio']:.1%}) | {case['page_bytes'] / 1e6:.2f} | "
            f"{case['browser']['median_interactive_ms']:.0f} |"
        )
    lines.append("")
    for case in result["cases"]:
        lines.append(f"- {case['kind']}: " + "; ".join(verdicts(case)) + ".")
    lines.append("<!-- report_speed:end -->")
    replace_section("report_speed", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k messages, 2 minutes of audio")
    parser.add_argument("--only", choices=["chat", "voice"], default=None)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TQDM_DISABLE", "1")
    info = machine()
    cases = []
    if args.only in (None, "chat"):
        cases.append(chat_case(100_000 if args.quick else args.messages))
    if args.only in (None, "voice"):
        cases.append(voice_case(args.quick))
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "quick": args.quick,
        "cases": cases,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not args.quick:
        write_section(result)
    for case in cases:
        print(f"{case['kind']}: " + "; ".join(verdicts(case)))


if __name__ == "__main__":
    main()
