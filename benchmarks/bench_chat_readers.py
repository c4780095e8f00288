"""Chat reader benchmark: Telegram, Discord, Slack, WeChat and generic readers.

For each format, one synthetic export of the same number of messages is written (seeded), then
each measurement runs in a fresh subprocess that times its own parse (imports excluded) and
reports its peak RSS (``VmHWM``) and its RSS right after imports:
  * peer: chat-miner 0.6.0 ``TelegramJsonParser`` on the Telegram file (the only format both read);
  * baseline: the standard library alone decoding the same bytes and building nothing
    (``json.loads`` of the document, of every Slack day file, of every JSONL line;
    ``csv.reader`` over the CSV), the floor any Python reader of these formats stands on;
  * ours: the dataprep reader producing the messages table.
Figures go to benchmarks/results/chat_readers.json and the "chat readers" section of
benchmarks/RESULTS.md.

Usage: python benchmarks/bench_chat_readers.py [--messages 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "chat_readers"
RESULTS = HERE / "results"

WORDS = [
    "alpha",
    "beta",
    "coffee",
    "train",
    "later",
    "tomorrow",
    "really",
    "maybe",
    "sure",
    "thanks",
    "what",
    "when",
    "where",
    "meeting",
    "lunch",
    "station",
    "ticket",
    "weather",
    "🙂",
    "😂",
    "👍",
    "周末",
    "爬山",
    "好的",
    "谢谢",
]
NAMES = ["Colin", "Ann Lee", "Bo", "Chen Mei", "Dara", "Eli"]
START = datetime(2025, 1, 1, 8, 0, 0)

# Timed in the child: the parse only; imports and interpreter start-up are excluded.
CHILD = r"""
import json, sys, time
from pathlib import Path

def status_mb(field):
    # VmHWM/VmRSS of this process image; unlike ru_maxrss they start afresh at exec.
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
kind, fmt, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
if kind == "ours":
    from dataprep.chat.readers import ReaderOptions, get_reader
    reader = get_reader(fmt)
elif kind == "peer":
    import logging
    logging.disable(logging.CRITICAL)
    from chatminer.chatparsers import TelegramJsonParser
else:
    import csv, io
imports_mb = status_mb("VmRSS")
start, cpu_start = time.perf_counter(), time.process_time()
if kind == "ours":
    count = sum(frame.height for frame in reader.read(path, ReaderOptions(), lambda *row: None))
elif kind == "peer":
    parser = TelegramJsonParser(str(path))
    parser.parse_file()
    count = len(parser.parsed_messages._parsed_messages)
elif fmt in ("telegram", "discord"):
    document = json.loads(path.read_text(encoding="utf-8"))
    count = len(document["messages"])
elif fmt == "slack":
    count = sum(len(json.loads(day.read_text(encoding="utf-8"))) for day in sorted(path.glob("*/*.json")))
elif fmt in ("jsonl", "sharegpt"):
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    count = len(lines) if fmt == "jsonl" else sum(len(r["conversations"]) for r in lines)
else:
    count = sum(1 for _ in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))) - 1
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
peak_mb = status_mb("VmHWM")
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "messages": count, "imports_mb": imports_mb, "peak_mb": peak_mb}))
"""


def sentence(rng: random.Random) -> str:
    text = " ".join(rng.choices(WORDS, k=rng.randint(2, 16)))
    return text + "\n" + " ".join(rng.choices(WORDS, k=4)) if rng.random() < 0.1 else text


def write_telegram(path: Path, count: int, rng: random.Random) -> None:
    messages = []
    for index in range(count):
        when = START + timedelta(seconds=37 * index)
        speaker = rng.randrange(len(NAMES))
        message = {
            "id": index + 1,
            "type": "message",
            "date": when.isoformat(),
            "date_unixtime": str(int(when.replace(tzinfo=timezone.utc).timestamp())),
            "from": NAMES[speaker],
            "from_id": f"user{1000 + speaker}",
        }
        roll = rng.random()
        if roll < 0.75:
            text = sentence(rng)
            message["text"], message["text_entities"] = text, [{"type": "plain", "text": text}]
        elif roll < 0.9:
            parts = [
                "see ",
                {"type": "link", "text": f"https://example.org/{index}"},
                " " + sentence(rng),
            ]
            message["text"] = parts
            message["text_entities"] = [
                p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts
            ]
        elif roll < 0.97:
            message.update(media_type="sticker", sticker_emoji="👍", text="", text_entities=[])
        else:
            message.update(
                type="service", actor=message.pop("from"), actor_id=message.pop("from_id")
            )
            message.update(action="pin_message", message_id=index, text="", text_entities=[])
        messages.append(message)
    document = {"name": "Benchmark chat", "type": "private_group", "id": 4242, "messages": messages}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def write_discord(path: Path, count: int, rng: random.Random) -> None:
    authors = [
        {"id": str(10**17 + n), "name": name.lower(), "nickname": name, "isBot": False}
        for n, name in enumerate(NAMES)
    ]
    messages = []
    for index in range(count):
        when = START + timedelta(seconds=37 * index)
        message = {
            "id": str(9 * 10**17 + index),
            "type": "Reply" if index and rng.random() < 0.2 else "Default",
            "timestamp": when.isoformat(timespec="milliseconds") + "+01:00",
            "timestampEdited": None,
            "isPinned": False,
            "content": sentence(rng),
            "author": rng.choice(authors),
            "attachments": [],
            "embeds": [],
            "stickers": [],
            "reactions": [],
            "mentions": [],
        }
        if message["type"] == "Reply":
            message["reference"] = {
                "messageId": str(9 * 10**17 + index - 1),
                "channelId": "7",
                "guildId": "1",
            }
        messages.append(message)
    document = {
        "guild": {"id": "1", "name": "Bench"},
        "channel": {"id": "7", "name": "general"},
        "messages": messages,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def write_slack(folder: Path, count: int, rng: random.Random, per_day: int = 500) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    users = [
        {"id": f"U{n:05d}", "name": name.lower(), "real_name": name, "profile": {"real_name": name}}
        for n, name in enumerate(NAMES)
    ]
    (folder / "users.json").write_text(json.dumps(users), encoding="utf-8")
    channels = ["general", "random", "dev", "support"]
    (folder / "channels.json").write_text(
        json.dumps([{"id": f"C{n}", "name": c} for n, c in enumerate(channels)]), encoding="utf-8"
    )
    for day in range(0, count, per_day):
        channel = channels[(day // per_day) % len(channels)]
        date = START + timedelta(days=day // per_day)
        day_messages = []
        for offset in range(min(per_day, count - day)):
            ts = int(date.replace(tzinfo=timezone.utc).timestamp()) + 60 * offset
            user = rng.randrange(len(NAMES))
            text = sentence(rng) + (
                f" <@U{(user + 1) % len(NAMES):05d}>" if rng.random() < 0.1 else ""
            )
            day_messages.append(
                {
                    "type": "message",
                    "user": f"U{user:05d}",
                    "text": text,
                    "ts": f"{ts}.{offset:06d}",
                }
            )
        (folder / channel).mkdir(exist_ok=True)
        (folder / channel / f"{date:%Y-%m-%d}.json").write_text(
            json.dumps(day_messages, ensure_ascii=False, indent=4), encoding="utf-8"
        )


def write_jsonl(path: Path, count: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(count):
            when = START + timedelta(seconds=37 * index)
            record = {
                "conversation": f"c{index // 200}",
                "speaker": rng.choice(NAMES),
                "text": sentence(rng),
                "time": when.isoformat(),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_sharegpt(path: Path, count: int, rng: random.Random, turns: int = 10) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for _ in range(count // turns):
            conversation = [
                {"from": "human" if n % 2 == 0 else "gpt", "value": sentence(rng)}
                for n in range(turns)
            ]
            handle.write(json.dumps({"conversations": conversation}, ensure_ascii=False) + "\n")


def write_wechat(path: Path, count: int, rng: random.Random) -> None:
    header = [
        "localId",
        "TalkerId",
        "Type",
        "SubType",
        "IsSender",
        "CreateTime",
        "Status",
        "StrContent",
        "StrTime",
        "Remark",
        "NickName",
        "Sender",
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index in range(count):
            when = START + timedelta(seconds=37 * index)
            mine = rng.random() < 0.5
            kind = "1" if rng.random() < 0.9 else rng.choice(["3", "47", "10000"])
            writer.writerow([
                index + 1, "wxid_friend", kind, "0", int(mine), int(when.timestamp()), "2",
                sentence(rng) if kind in ("1", "10000") else "", when.strftime("%Y-%m-%d %H:%M:%S"),
                "" if mine else "陈梅", "Colin" if mine else "梅子", "wxid_colin" if mine else "wxid_friend",
            ])  # fmt: skip


WRITERS = {
    "telegram": ("telegram.json", write_telegram),
    "discord": ("discord.json", write_discord),
    "slack": ("slack_export", write_slack),
    "jsonl": ("messages.jsonl", write_jsonl),
    "sharegpt": ("sharegpt.jsonl", write_sharegpt),
    "wechat": ("wechat.csv", write_wechat),
}


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def run_child(kind: str, fmt: str, path: Path, times: int) -> dict[str, object]:
    runs = []
    for _ in range(times):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, kind, fmt, str(path)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{kind} {fmt} failed:\n{done.stderr[-2000:]}")
        runs.append(json.loads(done.stdout))
    seconds = [run["seconds"] for run in runs]
    median = statistics.median(seconds)
    return {
        "runs_seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(median, 3),
        "median_cpu_seconds": round(statistics.median(run["cpu_seconds"] for run in runs), 3),
        "messages": runs[-1]["messages"],
        "messages_per_second": round(runs[-1]["messages"] / median),
        "peak_rss_mb": round(max(run["peak_mb"] for run in runs), 1),
        "rss_after_imports_mb": round(runs[-1]["imports_mb"], 1),
    }


def machine() -> dict[str, object]:
    model = platform.processor()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def write_section(result: dict) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md, leaving the others alone."""
    begin, end = "<!-- chat_readers:start -->", "<!-- chat_readers:end -->"
    lines = [
        begin,
        f"## Chat readers: Telegram, Discord, Slack, WeChat, JSONL, ShareGPT ({result['messages']:,} messages each)",
        "",
        f"Measured {result['date']} by `benchmarks/bench_chat_readers.py` on {result['machine']['nproc']} cores "
        f"({result['machine']['cpu_model']}), load average at start {result['machine']['load_average_at_start']}. "
        "Synthetic seeded exports. Each run is a fresh subprocess timing its own parse (imports excluded); "
        "peak RSS is the process's `VmHWM` and includes the interpreter and imports "
        "(RSS after imports in brackets). Baseline = the standard library decoding the same bytes and building nothing.",
        "",
        "| format | input (MB) | measurement | runs, wall (s) | median wall (s) | median CPU (s) | messages/s (wall) | peak RSS MB (after imports) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fmt, entry in result["formats"].items():
        for label in ("peer", "baseline", "ours"):
            if label not in entry:
                continue
            run = entry[label]
            name = {
                "peer": "chat-miner 0.6.0 `TelegramJsonParser` (peer)",
                "baseline": "stdlib decode only (baseline)",
                "ours": "dataprep reader",
            }[label]
            lines.append(
                f"| {fmt} | {entry['input_mb']} | {name} | {', '.join(map(str, run['runs_seconds']))} | {run['median_seconds']} | {run['median_cpu_seconds']} "
                f"| {run['messages_per_second']:,} | {run['peak_rss_mb']} ({run['rss_after_imports_mb']}) |"
            )
    telegram = result["formats"].get("telegram", {})
    if "peer" in telegram:
        lines += [
            "",
            f"- Telegram: our reader runs at **{result['telegram_speedup_vs_peer']}x** the peer's speed in wall time "
            f"and {result['telegram_cpu_speedup_vs_peer']}x in CPU time, with {telegram['ours']['peak_rss_mb']} MB peak RSS "
            f"against the peer's {telegram['peer']['peak_rss_mb']} MB. The peer skips service messages "
            f"({telegram['peer']['messages']:,} of {result['messages']:,}); ours keeps them as `system` rows.",
        ]
    lines.append(end)
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + "\n".join(lines) + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of our readers and of the baselines"
    )
    parser.add_argument("--formats", default=",".join(WRITERS), help="comma-separated subset")
    args = parser.parse_args()
    info = machine()
    WORK.mkdir(parents=True, exist_ok=True)
    formats: dict[str, dict] = {}
    for fmt in args.formats.split(","):
        name, writer = WRITERS[fmt]
        path = WORK / name
        writer(path, args.messages, random.Random(7))
        entry: dict[str, object] = {"input_mb": size_mb(path)}
        if fmt == "telegram":
            entry["peer"] = run_child("peer", fmt, path, args.repeats)
        entry["baseline"] = run_child("baseline", fmt, path, args.repeats)
        entry["ours"] = run_child("ours", fmt, path, args.repeats)
        formats[fmt] = entry
        print(fmt, json.dumps(entry), file=sys.stderr)
    result: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "messages": args.messages,
        "formats": formats,
    }
    if "telegram" in formats:
        telegram = formats["telegram"]
        result["telegram_speedup_vs_peer"] = round(
            telegram["peer"]["median_seconds"] / telegram["ours"]["median_seconds"], 2
        )
        result["telegram_cpu_speedup_vs_peer"] = round(
            telegram["peer"]["median_cpu_seconds"] / telegram["ours"]["median_cpu_seconds"], 2
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chat_readers.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )
    write_section(result)


if __name__ == "__main__":
    main()
