"""Dedupe and split under ``--engine ray``: the near-duplicate search runs in Ray tasks
(signatures, band keys, candidate pairs, the checks) and gives the local engine's clusters,
rejects and splits; the driver does none of that work and its memory stays flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import REPO
from tests.ray_engine.planted import write_planted
from tests.ray_engine.test_ray_engine import (
    clean_stages,
    outputs,
    rejects,
    run_both,
    run_clean,
    shards_joined,
)

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]

#: How much more the driver's peak private memory may rise on 50,000 samples than on 5,000.
#: Measured on 2026-12-02 (tests/ray_engine/driver_memory.py, 64 bands): 20.6 MB with the
#: search on the workers (the per-row keys dedupe and split keep locally too); 76.9 MB before,
#: when the driver held the band keys and found the candidate pairs.
GROWTH_BOUND = 40 * 1024**2


def texts_with_copies(count: int, seed: int = 3) -> list[str]:
    """``count`` texts, then copies of every seventh with a word or several replaced."""
    rng = np.random.default_rng(seed)
    words = [f"w{number}x" for number in range(80)]
    texts = [" ".join(rng.choice(words, 40)) for _ in range(count)]
    for number in range(0, count, 7):
        copy = texts[number].split()
        for at in rng.choice(len(copy), 1 + number % 5, replace=False):
            copy[at] = "changed"
        texts.append(" ".join(copy))
    return texts


@pytest.mark.parametrize(
    ("threshold", "verify"),
    [(0.8, True), (0.7, True), (0.8, False)],
    ids=["dedupe", "split", "no-exact-check"],
)
def test_the_distributed_search_gives_the_local_clusters(threshold: float, verify: bool) -> None:
    from dataprep.clean.minhash import MinHasher, NearDuplicateIndex, signatures_series
    from dataprep.engines.ray_dedupe import RayNearDuplicateIndex

    texts = texts_with_copies(140)
    settings = {"num_perm": 120, "bands": 20, "rows": 6, "ngram": 5}
    local = NearDuplicateIndex(**settings, threshold=threshold, verify=verify)
    on_ray = RayNearDuplicateIndex(**settings, threshold=threshold, verify=verify, partitions=3)
    hasher = MinHasher(num_perm=120, ngram=5)
    for start in range(0, len(texts), 9):
        chunk = texts[start : start + 9]
        positions = np.arange(start, start + len(chunk))
        known = None
        if start % 2:  # some batches come with signatures, the first one's missing
            signatures = signatures_series(hasher.signatures(chunk))
            known = pl.select(
                pl.when(pl.int_range(len(chunk)) == 0).then(None).otherwise(pl.lit(signatures))
            ).to_series()
        expected = local.add(chunk, positions, known)
        assert np.array_equal(on_ray.add(chunk, positions, known), expected)
    labels = local.clusters(len(texts), lambda rows: {int(r): texts[r] for r in rows})
    assert np.array_equal(on_ray.clusters(len(texts)), labels)
    assert on_ray.pair_counts() == local.pair_counts()
    assert (labels != np.arange(len(texts))).sum() >= 8  # copies were found (20 planted)
    assert local.pair_counts()["candidate_pairs"] > local.pair_counts()["verified_pairs"]


def split_of_ids(folder: Path) -> dict[str, str]:
    """Each sample's split in a Ray run's output (its shards joined per split)."""
    joined, found = shards_joined(folder), {}
    for name in ("train", "val", "test"):
        for line in joined[f"{name}.jsonl"].splitlines():
            found[json.loads(line)["id"]] = name
    return found


def test_planted_near_duplicates_in_different_files_give_the_local_output(
    tmp_path: Path,
) -> None:
    (tmp_path / "input").mkdir()
    planted = write_planted(tmp_path / "input", per_file=120, pairs=5)
    local, on_ray = run_both(
        tmp_path,
        "clean",
        *planted.files,
        "--no-pii",
        "--split",
        "0.6/0.2/0.2",
        # Batches of 20: an original and its copy lie about 15 batches apart.
        "--set",
        "read_conversations.batch_size=20",
    )
    assert shards_joined(on_ray) == outputs(local)
    assert rejects(on_ray) == rejects(local)
    found = {
        (row["duplicate_of"], row["id"])
        for row in map(json.loads, rejects(on_ray))
        if row["reason"] == "near_duplicate"
    }
    assert set(planted.near) <= found
    splits = split_of_ids(on_ray)
    for original, copy in planted.joined:
        assert splits[original] == splits[copy], (original, copy)
    reports = [json.loads((f / "train.report.json").read_text()) for f in (local, on_ray)]
    for key in ("dedupe", "split"):
        assert reports[1]["details"][key] == reports[0]["details"][key], key
    assert reports[1]["details"]["split"]["near_duplicate_pairs"]["verified_pairs"] >= 5


def write_chat(folder: Path) -> tuple[list[Path], list[str]]:
    """Two generic chat files; three conversations of the first are repeated, a word
    changed, in the second (read as other conversations, so other sessions)."""
    from tests.ray_engine.planted import WORDS

    rng = np.random.default_rng(5)
    lines: list[list[dict]] = [[], []]
    repeated = []
    for number in range(30):
        turns = [" ".join(rng.choice(WORDS, 30)) for _ in range(4)]
        for turn, text in enumerate(turns):
            lines[0].append(
                {
                    "conversation": f"talk-{number}",
                    "speaker": ["Hana", "Colin"][turn % 2],
                    "text": text,
                    "time": f"2025-04-10T{8 + number % 10:02d}:{turn:02d}:00",
                }
            )
        if number % 10 == 3:
            repeated.append(f"talk-{number}")
            for turn, text in enumerate(turns):
                words = text.split()
                words[turn] = "changed"
                lines[1].append(
                    {
                        **lines[0][-4 + turn],
                        "conversation": f"again-{number}",
                        "text": " ".join(words),
                    }
                )
        lines[1].extend(
            {**line, "conversation": f"other-{number}", "text": " ".join(rng.choice(WORDS, 30))}
            for line in lines[0][-4:]
        )
    paths = []
    for number, rows in enumerate(lines):
        path = folder / f"chat-{number}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    return paths, repeated


def test_chat_with_near_duplicates_in_two_files_gives_the_local_output(tmp_path: Path) -> None:
    (tmp_path / "input").mkdir()
    paths, repeated = write_chat(tmp_path / "input")
    local, on_ray = run_both(
        tmp_path,
        "chat",
        *paths,
        "--me",
        "Colin",
        "--no-pii",
        "--set",
        "read_chat.batch_rows=16",
    )
    assert shards_joined(on_ray) == outputs(local)
    assert rejects(on_ray) == rejects(local)
    near = [row for row in map(json.loads, rejects(on_ray)) if row["reason"] == "near_duplicate"]
    assert len(near) >= len(repeated)


def test_the_driver_computes_no_signature_band_key_or_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only connected components over the verified pairs run on the driver. A stage between
    dedupe and split rewrites every text, so split's signatures are computed anew (on the
    workers)."""
    from dataprep.clean import minhash
    from tests.ray_engine.stages import RewriteTexts

    local = run_clean(tmp_path / "local", clean_stages(RewriteTexts()))

    def not_here(name: str):
        def fail(*args: object, **kwargs: object) -> None:
            raise AssertionError(f"the driver ran {name}")

        return fail

    # Only this (the driver's) process is patched; Ray's workers run the real functions.
    for name in ("band_keys", "candidate_pairs", "signature_agreement", "fill_signatures"):
        monkeypatch.setattr(minhash, name, not_here(name))
    for name in ("signatures", "pair_jaccard"):
        monkeypatch.setattr(minhash.MinHasher, name, not_here(f"MinHasher.{name}"))
    report = run_clean(tmp_path / "ray", clean_stages(RewriteTexts()), on_ray=True)
    assert shards_joined(tmp_path / "ray") == outputs(tmp_path / "local")
    assert report["details"]["dedupe"]["near_duplicates"] >= 1
    for key in ("dedupe", "split"):
        assert report["details"][key] == local["details"][key], key


def driver_growth(tmp_path: Path, samples: int) -> dict:
    folder = tmp_path / str(samples)
    folder.mkdir()
    # Its own Ray instance: not the session's, which RAY_ADDRESS would name.
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.ray_engine.driver_memory", str(folder), str(samples)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_drivers_peak_memory_stays_flat_as_the_input_grows(tmp_path: Path) -> None:
    small = driver_growth(tmp_path, 5_000)
    big = driver_growth(tmp_path, 50_000)
    assert big["near_duplicates"] >= 50  # the planted copies were found
    grown = big["growth_bytes"] - small["growth_bytes"]
    assert grown < GROWTH_BOUND, (small, big)
