"""Near-duplicate detection: signature speed vs datasketch, and precision/recall on a planted set.

Speed: MinHash signatures (char 5-gram shingles, num_perm 120) for ``--samples`` synthetic
chat samples with ``dataprep.clean.minhash.MinHasher`` in 10,000-sample batches (as the
dedupe stage runs), against datasketch's ``MinHash.update_batch`` called once per sample,
with its default SHA-1 hash and with our shingle hash (so the gap is not just the hash).
datasketch is timed on ``--datasketch-samples`` samples and compared as a rate; the two
run in interleaved rounds so both see the same load on a shared machine. Then LSH banding
(20 bands x 6 rows), candidate pairs and connected components over all samples.

Quality: a planted set of ``--planted`` samples. 90% are unrelated samples (random words
from a 20,000-word vocabulary); the rest are copies of random originals with 1 to 12 word
substitutions, so their true similarity spreads across the 0.8 threshold. A pair is a true
duplicate when the exact Jaccard similarity of its 5-character shingle sets is >= 0.8. The
dedupe index (LSH + exact Jaccard check) then flags samples; precision and recall are
counted over pairs (copy, original), and any other flagged pair counts as a false positive.

Usage: python benchmarks/bench_minhash.py [--samples 1000000] [--datasketch-samples 20000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

NUM_PERM, BANDS, ROWS, NGRAM, THRESHOLD = 120, 20, 6, 5, 0.8
BATCH = 10_000


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 9, size)
    return ["".join(rng.choice(letters, n)) for n in lengths]


def samples(count: int, seed: int = 1) -> list[str]:
    """Chat-like samples: 20 to 80 words, a few turns separated by newlines."""
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(20_000, rng), dtype=object)
    lengths = rng.integers(20, 81, count)
    picks = rng.integers(0, len(words), int(lengths.sum()))
    out, position = [], 0
    for n in lengths.tolist():
        chunk = words[picks[position : position + n]]
        position += n
        out.append(" ".join(chunk[: n // 2]) + "\n" + " ".join(chunk[n // 2 :]))
    return out


def planted_set(count: int, seed: int = 2) -> tuple[list[str], list[tuple[int, int]]]:
    """Unrelated samples plus edited copies; returns texts and (original, copy) pairs."""
    rng = np.random.default_rng(seed)
    base = samples(int(count * 0.9), seed=seed)
    words = vocabulary(20_000, rng)
    texts, pairs = list(base), []
    while len(texts) < count:
        original = int(rng.integers(0, len(base)))
        tokens = base[original].split(" ")
        for _ in range(int(rng.integers(1, 13))):
            tokens[int(rng.integers(0, len(tokens)))] = words[int(rng.integers(0, len(words)))]
        pairs.append((original, len(texts)))
        texts.append(" ".join(tokens))
    return texts, pairs


def quality(texts: list[str], pairs: list[tuple[int, int]], verify: bool) -> dict[str, float | int]:
    from dataprep.clean.minhash import NearDuplicateIndex, exact_jaccard

    index = NearDuplicateIndex(
        num_perm=NUM_PERM, bands=BANDS, rows=ROWS, ngram=NGRAM, threshold=THRESHOLD, verify=verify
    )
    for first in range(0, len(texts), BATCH):
        index.add(texts[first : first + BATCH], np.arange(first, min(first + BATCH, len(texts))))
    labels = index.clusters(len(texts))
    truth = {(a, b) for a, b in pairs if exact_jaccard(texts[a], texts[b], NGRAM) >= THRESHOLD}
    predicted_pairs = {(a, b) for a, b in pairs if labels[a] == labels[b]}
    tp = len(truth & predicted_pairs)
    fp = len(predicted_pairs - truth)
    # Flagged samples that no planted pair explains are false positives too.
    explained = {b for _, b in pairs} | {a for a, _ in pairs}
    flagged = np.flatnonzero(labels != np.arange(len(texts)))
    fp += sum(1 for row in flagged.tolist() if row not in explained)
    return {
        "true_pairs": len(truth),
        "planted_pairs": len(pairs),
        "true_positives": tp,
        "false_positives": fp,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / len(truth), 4) if truth else 1.0,
        "candidate_pairs": index.candidates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--datasketch-samples", type=int, default=20_000)
    parser.add_argument("--planted", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "minhash.json")
    args = parser.parse_args()

    from datasketch import MinHash

    from dataprep.clean.minhash import (
        MinHasher,
        band_keys,
        candidate_pairs,
        connected_components,
        shingle_hash,
        shingles,
    )

    texts = samples(args.samples)
    hasher = MinHasher(num_perm=NUM_PERM, ngram=NGRAM)
    ours_hash = shingle_hash(NGRAM)
    totals = {"dataprep": 0.0, "datasketch_sha1": 0.0, "datasketch_our_hash": 0.0}
    keys = []

    def timed(name: str, work: Callable[[], object]) -> None:
        start = time.process_time()
        work()
        totals[name] += time.process_time() - start

    def ours(part: list[str]) -> None:
        for first in range(0, len(part), BATCH):
            keys.append(band_keys(hasher.signatures(part[first : first + BATCH]), BANDS, ROWS))

    def theirs(part: list[str], hashfunc: Callable | None) -> None:
        for text in part:
            minhash = (
                MinHash(num_perm=NUM_PERM, hashfunc=hashfunc)
                if hashfunc
                else MinHash(num_perm=NUM_PERM)
            )
            minhash.update_batch(
                [s.encode("utf-8") for s in shingles(text, NGRAM)]
                if hashfunc is None
                else shingles(text, NGRAM)
            )

    rounds = 4
    our_step = -(-len(texts) // rounds)
    their_step = -(-args.datasketch_samples // rounds)
    for round_ in range(rounds):
        theirs_part = texts[round_ * their_step : (round_ + 1) * their_step]
        timed("datasketch_sha1", lambda part=theirs_part: theirs(part, None))
        timed("datasketch_our_hash", lambda part=theirs_part: theirs(part, ours_hash))
        timed(
            "dataprep", lambda part=texts[round_ * our_step : (round_ + 1) * our_step]: ours(part)
        )

    start = time.process_time()
    all_keys = np.concatenate(keys)
    pairs = candidate_pairs(all_keys)
    labels = connected_components(len(texts), pairs)
    lsh_seconds = time.process_time() - start

    rates = {
        "dataprep": len(texts) / totals["dataprep"],
        "datasketch_sha1": args.datasketch_samples / totals["datasketch_sha1"],
        "datasketch_our_hash": args.datasketch_samples / totals["datasketch_our_hash"],
    }
    planted_texts, planted_pairs = planted_set(args.planted)
    result = {
        "samples": len(texts),
        "mean_chars_per_sample": round(sum(map(len, texts)) / len(texts), 1),
        "num_perm": NUM_PERM,
        "bands_rows": [BANDS, ROWS],
        "ngram": NGRAM,
        "datasketch_samples": args.datasketch_samples,
        "cpu_seconds": {k: round(v, 2) for k, v in totals.items()},
        "samples_per_cpu_s": {k: round(v, 1) for k, v in rates.items()},
        "speedup_vs_datasketch_sha1": round(rates["dataprep"] / rates["datasketch_sha1"], 2),
        "speedup_vs_datasketch_same_hash": round(
            rates["dataprep"] / rates["datasketch_our_hash"], 2
        ),
        "lsh_candidates_components_cpu_s": round(lsh_seconds, 2),
        "lsh_candidate_pairs": len(pairs),
        "lsh_clusters_with_duplicates": len(np.unique(labels[labels != np.arange(len(texts))])),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "planted": {
            "samples": len(planted_texts),
            "with_exact_jaccard_check": quality(planted_texts, planted_pairs, verify=True),
            "lsh_only": quality(planted_texts, planted_pairs, verify=False),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
