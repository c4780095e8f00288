"""``dataprep bootstrap --recipe bootstrap``: generated rows flow through scrub_pii and split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.recipe import load_recipe
from dataprep.validate import check_records
from tests.bootstrap.conftest import KEY_ENV, SEEDS
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.conftest import run_main

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_the_bootstrap_recipe_is_checked_like_any_other() -> None:
    plan = load_recipe("bootstrap").check()
    assert [step.key for step in plan] == ["generate", "scrub_pii", "split", "write_records"]


def test_generated_rows_are_scrubbed_split_and_reported_like_a_recipe(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "bootstrap", SEEDS, "--out", out, "--model", "test-model", "--base-url", server.base_url,
        "--api-key-env", KEY_ENV, "--cache-dir", tmp_path / "cache", "--n", "8",
        "--recipe", "bootstrap", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    rows = [
        json.loads(line)
        for name in ("train", "val", "test")
        for line in (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) == 8
    assert not [f for f in check_records(rows, "sft") if f.severity == "error"]
    provenance = (tmp_path / "train.provenance.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(provenance) == 8
    report = json.loads((tmp_path / "train.report.json").read_text(encoding="utf-8"))
    assert report["recipe"]["name"] == "bootstrap"
    assert list(report["stages"]) == ["generate", "scrub_pii", "split", "write_records"]
    assert report["stages"]["generate"]["rows_out"] == 8
    assert report["details"]["generate"]["accepted"] == 8
    assert report["details"]["write_records"]["records_written"]["train"] >= 1
    assert not list(tmp_path.glob(".dataprep-staging-*"))


def test_a_missing_key_fails_before_any_request_or_model(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    code, _, err = run_main(
        "bootstrap", SEEDS, "--out", tmp_path / "o.jsonl", "--model", "m", "--n", "2",
        "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--recipe", "bootstrap",
    )  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and KEY_ENV in err
    assert not server.state.arrivals
