"""Near-duplicate detection: signature speed vs datasketch, and precision/recall on planted sets.

Two sample sets, the same character 5-gram shingles and num_perm 120 on every side:
- short: 20-80 random words from a 20,000-word vocabulary (about 300 characters);
- long: chat sessions of 2-18-word turns, 1,000-3,000 characters each (what `dataprep chat`
  samples look like: the cost follows characters, not samples).

Speed, per set: ``MinHasher.signatures`` + LSH band keys in 10,000-sample batches (as dedupe
runs; the compiled kernel uses every core) against datasketch's ``MinHash.update_batch``
called once per sample, with its default SHA-1 and with our shingle hash. datasketch runs on a
subset and is compared as a rate; the sides run in interleaved rounds so both see the same
load on a shared machine. Rates are given per CPU second (all threads counted) and per wall
second. Kernel candidates on the long set, in characters per second: our compiled kernel on
one core and on all, the numpy version it replaced (kept here as the reference), rensa's Rust
``digest_matrix_from_flat_token_hashes`` fed our shingle hashes (when rensa is installed), and
polars hashing of the shingles alone (no permutations yet).

Quality, per set: ``--planted`` samples, 90% unrelated and the rest copies of random originals
with random word substitutions (1 to max(12, words/4)), so the pairs' similarity spreads across
the 0.8 threshold. The ground truth is fixed: a planted pair is a true duplicate when the
exact Jaccard similarity of its 5-character shingle sets is >= 0.8. The dedupe index (LSH,
signature agreement, exact Jaccard check) flags pairs; any flagged pair that is not a true
planted pair is a false positive.

Usage: python benchmarks/bench_minhash.py [--samples 200000] [--long-samples 50000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from results_section import replace_section  # noqa: E402

NUM_PERM, BANDS, ROWS, NGRAM, THRESHOLD = 120, 20, 6, 5, 0.8
BATCH = 10_000


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 9, size)
    return ["".join(rng.choice(letters, n)) for n in lengths]


def short_samples(count: int, seed: int = 1) -> list[str]:
    """Chat-like samples: 20 to 80 words, two turns separated by a newline."""
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


def long_samples(count: int, seed: int = 1) -> list[str]:
    """Chat sessions: turns of 2-18 words, one per line, 1,000 to 3,000 characters."""
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(20_000, rng), dtype=object)
    targets = rng.integers(1000, 3001, count)
    out = []
    for target in targets.tolist():
        turns, size = [], 0
        while size < target:
            turn = " ".join(words[rng.integers(0, len(words), int(rng.integers(2, 19)))])
            turns.append(turn)
            size += len(turn) + 1
        out.append("\n".join(turns)[:target])
    return out


def planted_set(
    make: Callable[[int, int], list[str]], count: int, seed: int = 2
) -> tuple[list[str], list[tuple[int, int]]]:
    """Unrelated samples plus edited copies; returns texts and (original, copy) pairs."""
    rng = np.random.default_rng(seed)
    base = make(int(count * 0.9), seed)
    words = vocabulary(20_000, rng)
    texts, pairs = list(base), []
    while len(texts) < count:
        original = int(rng.integers(0, len(base)))
        tokens = base[original].split(" ")
        for _ in range(int(rng.integers(1, max(12, len(tokens) // 4) + 1))):
            tokens[int(rng.integers(0, len(tokens)))] = words[int(rng.integers(0, len(words)))]
        pairs.append((original, len(texts)))
        texts.append(" ".join(tokens))
    return texts, pairs


def quality(texts: list[str], pairs: list[tuple[int, int]]) -> dict[str, float | int]:
    from dataprep.clean.minhash import NearDuplicateIndex, exact_jaccard

    index = NearDuplicateIndex(
        num_perm=NUM_PERM, bands=BANDS, rows=ROWS, ngram=NGRAM, threshold=THRESHOLD, verify=True
    )
    for first in range(0, len(texts), BATCH):
        index.add(texts[first : first + BATCH], np.arange(first, min(first + BATCH, len(texts))))
    labels = index.clusters(len(texts), lambda rows: {r: texts[r] for r in rows.tolist()})
    truth = {(a, b) for a, b in pairs if exact_jaccard(texts[a], texts[b], NGRAM) >= THRESHOLD}
    predicted = {(a, b) for a, b in pairs if labels[a] == labels[b]}
    tp = len(truth & predicted)
    fp = len(predicted - truth)
    # Flagged samples that no planted pair explains are false positives too.
    explained = {b for _, b in pairs} | {a for a, _ in pairs}
    flagged = np.flatnonzero(labels != np.arange(len(texts)))
    fp += sum(1 for row in flagged.tolist() if row not in explained)
    return {
        "samples": len(texts),
        "planted_pairs": len(pairs),
        "true_pairs": len(truth),
        "true_positives": tp,
        "false_positives": fp,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / len(truth), 4) if truth else 1.0,
        **index.pair_counts(),
    }


class Clock:
    """Accumulated CPU (all threads) and wall seconds per named side."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def run(self, name: str, work: Callable[[], object]) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        work()
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall


def speed(texts: list[str], peer_count: int, rounds: int = 4) -> dict[str, object]:
    """Ours on all ``texts`` vs datasketch on the first ``peer_count``, interleaved."""
    from datasketch import MinHash

    from dataprep.clean.minhash import MinHasher, band_keys, shingle_hash, shingles

    hasher = MinHasher(num_perm=NUM_PERM, ngram=NGRAM)
    hasher.signatures(texts[:10])  # load the compiled kernel outside the timing
    ours_hash = shingle_hash(NGRAM)
    clock = Clock()

    def ours(part: list[str]) -> None:
        for first in range(0, len(part), BATCH):
            band_keys(hasher.signatures(part[first : first + BATCH]), BANDS, ROWS)

    def theirs(part: list[str], hashfunc: Callable[[str], int] | None) -> None:
        for text in part:
            if hashfunc is None:
                minhash = MinHash(num_perm=NUM_PERM)
                minhash.update_batch([s.encode("utf-8") for s in shingles(text, NGRAM)])
            else:
                minhash = MinHash(num_perm=NUM_PERM, hashfunc=hashfunc)
                minhash.update_batch(shingles(text, NGRAM))

    our_step, their_step = -(-len(texts) // rounds), -(-peer_count // rounds)
    for r in range(rounds):
        peer_part = texts[r * their_step : min((r + 1) * their_step, peer_count)]
        clock.run("datasketch_sha1", lambda part=peer_part: theirs(part, None))
        clock.run("datasketch_our_hash", lambda part=peer_part: theirs(part, ours_hash))
        clock.run("dataprep", lambda part=texts[r * our_step : (r + 1) * our_step]: ours(part))
    counts = {"dataprep": len(texts), "datasketch_sha1": peer_count}
    counts["datasketch_our_hash"] = peer_count
    per_cpu = {k: counts[k] / clock.cpu[k] for k in counts}
    per_wall = {k: counts[k] / clock.wall[k] for k in counts}
    return {
        "samples": len(texts),
        "datasketch_samples": peer_count,
        "mean_chars_per_sample": round(sum(map(len, texts)) / len(texts), 1),
        "cpu_seconds": {k: round(v, 2) for k, v in clock.cpu.items()},
        "wall_seconds": {k: round(v, 2) for k, v in clock.wall.items()},
        "samples_per_cpu_s": {k: round(v, 1) for k, v in per_cpu.items()},
        "samples_per_wall_s": {k: round(v, 1) for k, v in per_wall.items()},
        "speedup_cpu_vs_datasketch_sha1": round(
            per_cpu["dataprep"] / per_cpu["datasketch_sha1"], 1
        ),
        "speedup_wall_vs_datasketch_sha1": round(
            per_wall["dataprep"] / per_wall["datasketch_sha1"], 1
        ),
        "speedup_cpu_vs_datasketch_same_hash": round(
            per_cpu["dataprep"] / per_cpu["datasketch_our_hash"], 1
        ),
    }


def numpy_signatures(hasher: object, texts: list[str]) -> np.ndarray:
    """The numpy MinHash this project used before the compiled kernel (the reference)."""
    from dataprep.clean.minhash import _fmix64, _runs

    a, b, k = hasher.a[:, None], hasher.b[:, None], hasher.ngram  # type: ignore[attr-defined]
    out = []
    for first, last in _runs(texts, 1 << 22):
        points, starts, lengths = hasher.layout(texts[first:last])  # type: ignore[attr-defined]
        wide = points.astype(np.uint64)
        size = wide.size - k + 1
        total = wide[:size] * hasher.powers[0]  # type: ignore[attr-defined]
        for j in range(1, k):
            total += wide[j : j + size] * hasher.powers[j]  # type: ignore[attr-defined]
        counts = np.maximum(lengths - k + 1, 1)
        doc = np.repeat(np.arange(lengths.size), counts)
        offsets = np.arange(doc.size) - np.repeat(np.cumsum(counts) - counts, counts)
        h = (_fmix64(total[starts[doc] + offsets]) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
        sig = np.full((lengths.size, a.size), np.iinfo(np.uint32).max, dtype=np.uint32)
        for start in range(0, h.size, 1 << 13):
            part, owner = h[start : start + (1 << 13)], doc[start : start + (1 << 13)]
            values = a * part[None, :] + b
            cut = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            rows = owner[cut]
            sig[rows] = np.minimum(sig[rows], np.minimum.reduceat(values, cut, axis=1).T)
        out.append(sig)
    return np.concatenate(out)


def kernels(texts: list[str]) -> dict[str, object]:
    """Characters per second of each MinHash candidate on the same long samples."""
    import polars as pl

    from dataprep.clean import minhash_kernel
    from dataprep.clean.minhash import MinHasher

    hasher = MinHasher(num_perm=NUM_PERM, ngram=NGRAM)
    chars = sum(map(len, texts))
    reference = hasher.signatures(texts)
    found: dict[str, object] = {"characters": chars}

    def timed(name: str, work: Callable[[], object]) -> object:
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        found[name] = {
            "chars_per_wall_s": round(chars / wall),
            "chars_per_cpu_s": round(chars / cpu),
        }
        return result

    timed("numba_kernel_all_cores", lambda: hasher.signatures(texts))

    def one_core() -> np.ndarray:
        layout = hasher.layout(texts)
        return minhash_kernel.signature_rows(*layout, hasher.powers, hasher.a, hasher.b)

    same = np.array_equal(timed("numba_kernel_one_core", one_core), reference)
    found["numba_one_core_equal"] = same
    found["numpy_equal"] = np.array_equal(
        timed("numpy_reference", lambda: numpy_signatures(hasher, texts)), reference
    )
    try:
        import rensa

        def rensa_digests() -> object:
            layout = hasher.layout(texts)
            points, starts, lengths = layout
            wide = points.astype(np.uint64)
            size = wide.size - NGRAM + 1
            total = wide[:size] * hasher.powers[0]
            for j in range(1, NGRAM):
                total += wide[j : j + size] * hasher.powers[j]
            counts = np.maximum(lengths - NGRAM + 1, 1)
            doc = np.repeat(np.arange(lengths.size), counts)
            offsets = np.arange(doc.size) - np.repeat(np.cumsum(counts) - counts, counts)
            hashes = total[starts[doc] + offsets]
            bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
            return rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, bounds, NUM_PERM, 1)

        timed("rensa_flat_token_hashes", rensa_digests)
        found["rensa_version"] = getattr(rensa, "__version__", "installed")
    except ImportError:
        found["rensa_flat_token_hashes"] = "not installed"

    def polars_hash_only() -> object:
        frame = pl.DataFrame({"t": texts}).with_row_index("doc")
        frame = frame.with_columns(
            pl.int_ranges(0, pl.max_horizontal(pl.col("t").str.len_chars() - NGRAM + 1, 1)).alias(
                "at"
            )
        ).explode("at")
        return frame.select(pl.col("t").str.slice(pl.col("at"), NGRAM).hash())

    timed("polars_shingle_hash_only", polars_hash_only)
    return found


def write_section(result: dict[str, object]) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md."""
    short, long_ = result["speed"]["short"], result["speed"]["long"]  # type: ignore[index]
    kern = result["kernels"]
    q = result["planted"]
    lines = [
        "## Near-duplicate MinHash: dataprep vs datasketch `MinHash.update_batch`",
        "",
        f"Measured {result['date']} by `benchmarks/bench_minhash.py` (results: "
        f"`benchmarks/results/minhash.json`) on {result['cores']} cores shared with other work "
        f"(load average {result['load_average']} at start). Character 5-gram shingles and "
        "num_perm 120 on every side; ours includes the 20x6 LSH band keys. datasketch runs one "
        "`MinHash` + `update_batch` per sample on a subset, interleaved in 4 rounds with ours. "
        "CPU seconds count every thread (our kernel runs one thread per core); wall seconds "
        "are noisier on the shared machine.",
        "",
        "| samples | mean chars | side | samples / CPU s | samples / wall s | ratio (CPU) | ratio (wall) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for label, entry in (("short (20-80 words)", short), ("long (chat sessions)", long_)):
        cpu, wall = entry["samples_per_cpu_s"], entry["samples_per_wall_s"]
        for side, name in (
            ("datasketch, SHA-1 (peer)", "datasketch_sha1"),
            ("datasketch, our shingle hash", "datasketch_our_hash"),
            ("dataprep `MinHasher.signatures` + band keys", "dataprep"),
        ):
            lines.append(
                f"| {label} | {entry['mean_chars_per_sample']} | {side} | {cpu[name]:,} | {wall[name]:,} "
                f"| {cpu[name] / cpu['datasketch_sha1']:.1f}x | {wall[name] / wall['datasketch_sha1']:.1f}x |"
            )
    lines += [
        "",
        f"Kernel candidates on {kern['characters']:,} characters of the long samples (millions "
        "of characters per second):",
        "",
        "| candidate | wall | CPU |",
        "|---|---:|---:|",
    ]
    for name in (
        "numba_kernel_all_cores",
        "numba_kernel_one_core",
        "numpy_reference",
        "rensa_flat_token_hashes",
        "polars_shingle_hash_only",
    ):
        entry = kern[name]
        if isinstance(entry, dict):
            lines.append(
                f"| {name} | {entry['chars_per_wall_s'] / 1e6:.1f} | {entry['chars_per_cpu_s'] / 1e6:.1f} |"
            )
        else:
            lines.append(f"| {name} | {entry} | |")
    lines += [
        "",
        "Planted near duplicates (ground truth: exact Jaccard of the shingle sets >= 0.8):",
        "",
        "| set | samples | true pairs | precision | recall | LSH candidates | agreeing | verified |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, key in (("short", "short"), ("long", "long")):
        e = q[key]
        lines.append(
            f"| {label} | {e['samples']:,} | {e['true_pairs']:,} | {e['precision']} | {e['recall']} "
            f"| {e['candidate_pairs']:,} | {e['agreeing_pairs']:,} | {e['verified_pairs']:,} |"
        )
    targets = result["targets"]
    lines += [
        "",
        f"- Long samples: **{long_['speedup_cpu_vs_datasketch_sha1']}x** datasketch per CPU second "
        f"({long_['speedup_wall_vs_datasketch_sha1']}x per wall second); target >= 20x: "
        f"{'met' if targets['long_speed_met'] else 'MISSED'}. Precision/recall >= 0.95 on both sets: "
        f"{'met' if targets['quality_met'] else 'MISSED'}.",
        f"- Peak RSS of the whole benchmark {result['peak_rss_mib']} MiB.",
    ]
    replace_section("clean_minhash", lines)


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000, help="short samples, ours")
    parser.add_argument("--long-samples", type=int, default=50_000, help="long samples, ours")
    parser.add_argument("--datasketch-samples", type=int, default=8_000)
    parser.add_argument("--datasketch-long-samples", type=int, default=1_000)
    parser.add_argument("--planted", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "minhash.json")
    args = parser.parse_args()

    load = [round(x, 2) for x in os.getloadavg()]
    short_texts = short_samples(args.samples)
    long_texts = long_samples(args.long_samples)
    result: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "load_average": load,
        "num_perm": NUM_PERM,
        "bands_rows": [BANDS, ROWS],
        "ngram": NGRAM,
        "speed": {
            "short": speed(short_texts, args.datasketch_samples),
            "long": speed(long_texts, args.datasketch_long_samples),
        },
        "kernels": kernels(long_texts[:10_000]),
        "planted": {
            "short": quality(*planted_set(short_samples, args.planted)),
            "long": quality(*planted_set(long_samples, args.planted)),
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    planted = result["planted"]
    result["targets"] = {
        "long_speed_met": result["speed"]["long"]["speedup_cpu_vs_datasketch_sha1"] >= 20,  # type: ignore[index]
        "quality_met": all(
            planted[k]["precision"] >= 0.95 and planted[k]["recall"] >= 0.95  # type: ignore[index]
            for k in ("short", "long")
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_section(result)
    print(json.dumps(result["targets"]))


if __name__ == "__main__":
    sys.exit(main())
