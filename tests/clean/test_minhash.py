"""MinHash signatures equal datasketch's; LSH banding, candidates and components."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.clean.minhash import (
    MinHasher,
    band_keys,
    candidate_pairs,
    connected_components,
    exact_jaccard,
    lsh_probability,
    shingle_hash,
    shingles,
)


def datasketch_signature(text: str, num_perm: int, ngram: int, seed: int = 1) -> np.ndarray:
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash(ngram))
    minhash.update_batch(shingles(text, ngram))
    return minhash.hashvalues


TEXTS = {
    "english": "the quick brown fox jumps over the lazy dog",
    "chinese": "你好，今天天气很好，我们去公园散步吧",
    "japanese": "今日はいい天気ですね、散歩に行きましょう",
    "shorter_than_shingle": "ok",
    "exactly_one_shingle": "hello",
    "empty": "",
    "emoji": "😀😀 party 🎉 tonight",
}


@pytest.mark.parametrize(
    ("num_perm", "ngram", "seed"),
    [(128, 5, 1), (64, 3, 7), (256, 9, 42)],
    ids=["128x5", "64x3", "256x9"],
)
def test_signatures_equal_datasketch(num_perm: int, ngram: int, seed: int) -> None:
    texts = list(TEXTS.values())
    ours = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed).signatures(texts)
    for row, text in enumerate(texts):
        assert np.array_equal(ours[row], datasketch_signature(text, num_perm, ngram, seed)), text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_signatures_equal_datasketch_for_any_text(texts: list[str]) -> None:
    ours = MinHasher(num_perm=32, ngram=4).signatures(texts)
    for row, text in enumerate(texts):
        assert np.array_equal(ours[row], datasketch_signature(text, 32, 4))


def test_short_texts_get_distinct_signatures() -> None:
    # The failure of peers: every text shorter than a shingle shares one empty signature.
    signatures = MinHasher(num_perm=64, ngram=5).signatures(["cat", "dog", "cat", "ok"])
    assert np.array_equal(signatures[0], signatures[2])
    assert not np.array_equal(signatures[0], signatures[1])
    assert not np.array_equal(signatures[1], signatures[3])


def test_signature_agreement_estimates_jaccard() -> None:
    base = "we should meet at the station at nine and then take the train to the coast together"
    edited = base.replace("nine", "ten")
    signatures = MinHasher(num_perm=256, ngram=5).signatures([base, edited])
    estimate = float((signatures[0] == signatures[1]).mean())
    assert abs(estimate - exact_jaccard(base, edited, 5)) < 0.1


def test_lsh_probability_matches_the_formula() -> None:
    assert lsh_probability(0.8, 20, 6) == pytest.approx(1 - (1 - 0.8**6) ** 20)
    assert lsh_probability(0.8, 20, 6) > 0.99
    assert lsh_probability(0.3, 20, 6) < 0.02


def test_band_keys_need_enough_permutations() -> None:
    with pytest.raises(ValueError, match="exceeds num_perm"):
        band_keys(np.zeros((2, 10), dtype=np.uint32), bands=4, rows=3)


def test_candidates_link_each_member_to_the_earliest() -> None:
    keys = np.array([[1, 9], [2, 8], [1, 7], [3, 8], [1, 6]], dtype=np.uint64)
    pairs = candidate_pairs(keys)
    assert {tuple(p) for p in pairs.tolist()} == {(0, 2), (0, 4), (1, 3)}


def test_connected_components_label_with_the_smallest_member() -> None:
    pairs = np.array([[3, 4], [4, 5], [0, 2], [5, 1]], dtype=np.int64)
    labels = connected_components(7, pairs)
    assert labels.tolist() == [0, 1, 0, 1, 1, 1, 6]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40))
def test_connected_components_agree_with_a_plain_union_find(edges: list[tuple[int, int]]) -> None:
    parent = list(range(30))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    expected = [min(n for n in range(30) if find(n) == find(x)) for x in range(30)]
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    assert connected_components(30, pairs).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcde 你好", max_size=40), min_size=2, max_size=6))
def test_pair_jaccard_is_the_exact_jaccard(texts: list[str]) -> None:
    others = np.arange(1, len(texts))
    found = MinHasher(num_perm=8, ngram=3).pair_jaccard(texts, np.zeros_like(others), others)
    for i, value in zip(others.tolist(), found.tolist(), strict=True):
        assert value == pytest.approx(exact_jaccard(texts[0], texts[i], 3))


def test_large_batches_are_hashed_in_runs_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from dataprep.clean import minhash

    rng = random.Random(0)
    texts = [
        "".join(rng.choice("abcdef 你") for _ in range(rng.randint(0, 300))) for _ in range(300)
    ]
    hasher = MinHasher(num_perm=64, ngram=5)
    whole = hasher.signatures(texts)
    monkeypatch.setattr(minhash, "_CHUNK_CHARS", 1000)
    assert len(minhash._runs(texts, 1000)) > 10
    assert np.array_equal(hasher.signatures(texts), whole)


def test_signatures_are_the_same_on_one_core_and_on_several() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from dataprep.clean.minhash_kernel import signature_rows

    hasher = MinHasher(num_perm=64, ngram=5)
    texts = [f"message {i} " * (i % 17 + 1) + "你好" * (i % 3) for i in range(200)]
    layout = hasher.layout(texts)
    one = signature_rows(*layout, hasher.powers, hasher.a, hasher.b)
    with ThreadPoolExecutor(3) as pool:
        three = signature_rows(*layout, hasher.powers, hasher.a, hasher.b, pool, 3)
    assert np.array_equal(one, three)
    assert np.array_equal(one, hasher.signatures(texts))


@pytest.mark.parametrize(
    ("threshold", "verify", "expected"),
    [(0.8, False, 0.8), (0.8, True, 0.8 - 4 * (0.8 * 0.2 / 120) ** 0.5), (1.0, True, 1.0)],
    ids=["estimate-only", "exact-check", "identical-only"],
)
def test_agreement_floor(threshold: float, verify: bool, expected: float) -> None:
    from dataprep.clean.minhash import agreement_floor

    assert agreement_floor(threshold, 120, verify) == pytest.approx(expected)


def test_pairs_far_below_the_threshold_never_reach_the_exact_check() -> None:
    from dataprep.clean.minhash import NearDuplicateIndex

    base = "the quick brown fox jumps over the lazy dog near the river bank today"
    texts = [base, base.replace("today", "again"), "completely different words here", base]
    index = NearDuplicateIndex(num_perm=120, bands=40, rows=3, ngram=5, threshold=0.9, verify=True)
    index.add(texts, np.arange(len(texts)))
    asked: list[list[int]] = []

    def texts_of(rows: np.ndarray) -> dict[int, str]:
        asked.append(rows.tolist())
        return {r: texts[r] for r in rows.tolist()}

    labels = index.clusters(len(texts), texts_of)
    assert labels.tolist()[3] == 0
    assert 2 not in {r for rows in asked for r in rows}
    counts = index.pair_counts()
    assert counts["candidate_pairs"] >= counts["agreeing_pairs"] >= counts["verified_pairs"] >= 1
