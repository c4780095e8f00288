"""Deterministic synthetic WhatsApp export for benchmarks.

Android ``D/M/YY, HH:MM - Name: text`` headers, a few speakers including "Colin" (the
exporting user in the demo), sessions of quick replies separated by hours, about 3% multi-line
bodies, 3% media placeholders, 0.5% deleted messages and 0.5% system lines. The same
``--messages`` and ``--seed`` always give the same bytes.

Usage: python benchmarks/gen_whatsapp.py OUT.txt --messages 1000000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

SPEAKERS = ("Colin", "Maya", "Ravi", "Priya Shah")
WORDS = [
    "ok",
    "sure",
    "thanks",
    "see",
    "you",
    "later",
    "tomorrow",
    "tonight",
    "train",
    "station",
    "coffee",
    "lunch",
    "dinner",
    "meeting",
    "call",
    "back",
    "running",
    "late",
    "almost",
    "there",
    "home",
    "work",
    "weekend",
    "hike",
    "photos",
    "great",
    "sounds",
    "good",
    "maybe",
    "next",
    "week",
    "what",
    "time",
    "where",
    "are",
    "you",
    "did",
    "you",
    "get",
    "it",
    "I",
    "think",
    "so",
    "not",
    "sure",
    "let",
    "me",
    "check",
    "the",
    "plan",
    "again",
    "haha",
    "yes",
    "no",
    "perhaps",
]
MEDIA = ("<Media omitted>", "IMG-20240316-WA0007.jpg (file attached)", "sticker omitted")
SYSTEM = ("Maya changed the group description", "Ravi added Priya Shah", "You were added")


def _body(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(2, 18))
    text = " ".join(words)
    if rng.random() < 0.01:
        text = "Note: " + text
    return text[0].upper() + text[1:]


def _header(when: datetime) -> str:
    return f"{when.day}/{when.month}/{when.year % 100:02d}, {when.hour:02d}:{when.minute:02d} - "


def generate_lines(messages: int, seed: int = 7) -> list[str]:
    """The export's lines (without newlines) for ``messages`` messages."""
    return list(iter_lines(messages, seed))


def iter_lines(messages: int, seed: int = 7) -> Iterator[str]:
    """The export's lines one by one, so a multi-GB export never sits in memory."""
    rng = random.Random(seed)
    when = datetime(2019, 1, 1, 8, 0)
    speaker = SPEAKERS[0]
    for _ in range(messages):
        if rng.random() < 0.04:
            when += timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59))
        else:
            when += timedelta(minutes=rng.choice((0, 0, 1, 1, 2, 3, 5)))
        if rng.random() < 0.4:
            speaker = rng.choice(SPEAKERS)
        roll = rng.random()
        head = _header(when)
        if roll < 0.005:
            yield head + rng.choice(SYSTEM)
        elif roll < 0.035:
            yield f"{head}{speaker}: {rng.choice(MEDIA)}"
        elif roll < 0.04:
            yield f"{head}{speaker}: This message was deleted"
        elif roll < 0.07:
            yield f"{head}{speaker}: {_body(rng)}"
            yield from [_body(rng) for _ in range(rng.randint(1, 3))]
        else:
            yield f"{head}{speaker}: {_body(rng)}"


def write_export(path: Path, messages: int, seed: int = 7) -> int:
    """Write the export to ``path``; returns the number of lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for line in iter_lines(messages, seed):
            handle.write(line)
            handle.write("\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines = write_export(args.out, args.messages, args.seed)
    print(f"wrote {args.out}: {args.messages:,} messages, {lines:,} lines")


if __name__ == "__main__":
    main()
