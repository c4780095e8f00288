"""Generated conversations with near duplicates planted far apart: each original sits early
in the first file, its copy late in the last, so the two reach dedupe and split in batches
that different Ray tasks handle."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from dataprep.clean.minhash import exact_jaccard


def _vocabulary(size: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)]


#: A vocabulary of 300 made-up words: unrelated samples share some shingles (a few LSH
#: candidates that the checks drop).
WORDS = _vocabulary(300)
#: A larger one, for inputs of many samples (few candidates: a faster run).
MANY_WORDS = _vocabulary(5000)


@dataclass
class Planted:
    files: list[Path]
    #: (original id, copy id): copies at Jaccard about 0.95, which dedupe removes (0.8).
    near: list[tuple[str, str]] = field(default_factory=list)
    #: (original id, copy id): copies at Jaccard 0.72 to 0.78, kept by dedupe but joined by
    #: split (0.7), so both land in one split.
    joined: list[tuple[str, str]] = field(default_factory=list)


def _sentence(rng: random.Random, words: int, vocabulary: list[str] = WORDS) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _text(record: dict) -> str:
    return "\n".join(turn["value"] for turn in record["conversations"])


def _record(rng: random.Random, ident: str, vocabulary: list[str]) -> dict:
    return {
        "id": ident,
        "conversations": [
            {"from": "human", "value": _sentence(rng, 50, vocabulary)},
            {"from": "gpt", "value": _sentence(rng, 20, vocabulary)},
        ],
    }


def _copy(rng: random.Random, record: dict, ident: str, low: float, high: float) -> dict:
    """``record`` with words of its question replaced until its Jaccard similarity (of
    5-character shingles) falls in [low, high]."""
    for _ in range(1000):
        words = record["conversations"][0]["value"].split()
        copy = {"id": ident, "conversations": [dict(turn) for turn in record["conversations"]]}
        while True:
            words[rng.randrange(len(words))] = rng.choice(WORDS) + rng.choice("xyz")
            copy["conversations"][0]["value"] = " ".join(words)
            similarity = exact_jaccard(_text(record), _text(copy), 5)
            if similarity <= high:
                break
        if similarity >= low:
            return copy
    raise AssertionError("no copy in the range")


def write_planted(
    folder: Path,
    *,
    per_file: int,
    pairs: int,
    files: int = 3,
    seed: int = 7,
    vocabulary: list[str] = WORDS,
) -> Planted:
    """``files`` JSONL files of ``per_file`` conversations, with ``pairs`` near-duplicate
    pairs and ``pairs`` split-joined pairs planted between the first and the last file."""
    rng = random.Random(seed)
    tables = [
        [_record(rng, f"f{number}-{row}", vocabulary) for row in range(per_file)]
        for number in range(files)
    ]
    planted = Planted(files=[])
    for pair in range(2 * pairs):
        original = tables[0][pair]
        at = per_file - 1 - pair
        ident = f"f{files - 1}-{at}"
        if pair % 2 == 0:
            tables[-1][at] = _copy(rng, original, ident, 0.9, 0.97)
            planted.near.append((original["id"], ident))
        else:
            tables[-1][at] = _copy(rng, original, ident, 0.72, 0.78)
            planted.joined.append((original["id"], ident))
    for number, table in enumerate(tables):
        path = folder / f"part-{number}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in table), encoding="utf-8")
        planted.files.append(path)
    return planted
