"""Synthetic ShareGPT conversations for the clean / Ray benchmarks, streamed to a JSONL file.

Each conversation has 4-10 turns of 4-20 words drawn from a seeded 5,000-word vocabulary
(about 560 bytes a record). Every 20th conversation copies one of a reservoir of earlier
ones (spread over the whole file, so copies land in other batches) with one word added, so
dedupe and split have near-duplicate clusters to find. With ``pii=True`` every 10th
conversation also names a person and gives an e-mail address and a phone number, so the
PII stage has entities to replace. Memory stays flat: only the reservoir is kept.

Usage: python benchmarks/gen_conversations.py OUT.jsonl COUNT [--pii] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

RESERVOIR = 10_000
NAMES = ["Anna Schmidt", "Lucas Martin", "Priya Raman", "Tom Baker", "Sofia Rossi", "Wei Zhang"]


def _pii_turn(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    mailbox = name.split()[0].lower() + str(rng.randint(1, 999))
    phone = f"+44 7700 {rng.randint(100000, 999999)}"
    return f"ask {name} or write to {mailbox}@example.com or call {phone}"


def write_conversations(path: Path, count: int, *, pii: bool = False, seed: int = 1) -> None:
    """Write ``count`` ShareGPT records to ``path`` (see the module docstring)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 8))) for _ in range(5000)]
    kept: list[list[str]] = []
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            if number % 20 == 19 and kept:
                turns = list(rng.choice(kept))
                turns[0] = turns[0] + " " + rng.choice(words)
            else:
                turns = [
                    " ".join(rng.choices(words, k=rng.randint(4, 20)))
                    for _ in range(2 * rng.randint(2, 5))
                ]
                if pii and number % 10 == 0:
                    turns[0] = _pii_turn(rng) + " " + turns[0]
            # Reservoir sampling: every conversation so far is equally likely to be copied.
            if len(kept) < RESERVOIR:
                kept.append(turns)
            elif (slot := rng.randrange(number + 1)) < RESERVOIR:
                kept[slot] = turns
            roles = ["human", "gpt"] * (len(turns) // 2)
            messages = [{"from": r, "value": t} for r, t in zip(roles, turns, strict=True)]
            handle.write(json.dumps({"id": f"c{number}", "conversations": messages}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--pii", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_conversations(args.out, args.count, pii=args.pii, seed=args.seed)


if __name__ == "__main__":
    main()
