"""``dataprep bootstrap`` end to end: the real openai SDK against a real loopback server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dataprep.bootstrap.tasks import load_seeds
from dataprep.validate import check_records
from tests.bootstrap.conftest import DPO_SEEDS, FAKE_KEY, KEY_ENV, SEEDS, SHAREGPT, all_text_under
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.conftest import run_main

pytestmark = pytest.mark.server


def bootstrap(
    server: FakeOpenAIServer,
    tmp: Path,
    *extra: Any,
    seeds: Path = SEEDS,
    out: str = "synth.jsonl",
    cache: str = "cache",
) -> tuple[int, str, str]:
    """Run the CLI against ``server`` with fast retries; returns (exit code, stdout, stderr)."""
    return run_main(
        "bootstrap",
        seeds,
        "--out",
        tmp / out,
        "--model",
        "test-model",
        "--base-url",
        server.base_url,
        "--api-key-env",
        KEY_ENV,
        "--cache-dir",
        tmp / cache,
        "--retry-delay",
        "0.01",
        "--rejects",
        tmp / "rejects.jsonl",
        *extra,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def seed_duplicate() -> str:
    """A reply that copies seed line 5 word for word, in the generation shape."""
    seed = next(s for s in load_seeds(SEEDS) if s.line == 5)
    return json.dumps(seed.example())


def test_every_fault_is_survived_and_counted(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.state.hang_seconds = 2.0
    server.inject("429", retry_after=0.2)
    server.inject("429", retry_after_ms=150)
    server.inject("500", count=2)
    server.inject("hang")
    server.inject("malformed")
    server.inject("length")
    server.inject("content_filter")
    server.inject("reply", content=seed_duplicate())
    server.inject("reply", content="Sure! Here is a conversation about bikes.")  # repaired
    code, _, err = bootstrap(
        server, tmp_path, "--n", "20", "--concurrency", "4", "--timeout", "0.5"
    )
    assert code == 0, err
    rows = read_jsonl(tmp_path / "synth.jsonl")
    assert len(rows) == 20
    assert not [f for f in check_records(rows, "sft") if f.severity == "error"]
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["rejected"] == {
        "finish_content_filter": 1,
        "finish_length": 1,
        "near_duplicate_seed": 1,
    }
    assert report["details"]["generate"]["retries"] == {
        "429": 2,
        "500": 2,
        "malformed_response": 1,
        "timeout": 1,
    }
    # No reply is lost silently: every request issued is a row or a counted reject.
    assert (
        report["details"]["generate"]["accepted"] + report["details"]["generate"]["rejected_total"]
        == report["details"]["generate"]["requests_issued"]
        == 23
    )
    assert sorted(r["reason"] for r in read_jsonl(tmp_path / "rejects.jsonl")) == [
        "finish_content_filter",
        "finish_length",
        "near_duplicate_seed",
    ]
    provenance = read_jsonl(tmp_path / "synth.provenance.jsonl")
    assert [p["line"] for p in provenance] == list(range(1, 21))
    assert sum(p["repaired"] for p in provenance) == 1
    assert {p["model"] for p in provenance} == {"test-model"}
    assert {p["template_sha256"] for p in provenance} == {
        report["details"]["generate"]["template_sha256"]
    }
    assert all(p["seed_lines"] and len(p["cache_key"]) == 64 for p in provenance)
    # Every row keeps the seeds' shared system prompt and their messages format.
    system = rows[0]["messages"][0]
    assert system["role"] == "system" and all(r["messages"][0] == system for r in rows)


def test_rerun_repeats_no_request_and_writes_identical_bytes(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    assert bootstrap(server, tmp_path, "--n", "12", out="first.jsonl")[0] == 0
    first_successes = server.total_successes
    assert first_successes == 12
    assert bootstrap(server, tmp_path, "--n", "12", out="second.jsonl")[0] == 0
    assert server.total_successes == first_successes
    assert (tmp_path / "first.jsonl").read_bytes() == (tmp_path / "second.jsonl").read_bytes()
    assert (tmp_path / "first.provenance.jsonl").read_bytes() == (
        tmp_path / "second.provenance.jsonl"
    ).read_bytes()
    report = json.loads((tmp_path / "second.report.json").read_text())
    assert (
        report["details"]["generate"]["usage"]["cached_requests"] == 12
        and report["details"]["generate"]["usage"]["cost_this_run"] is None
    )


def test_concurrency_does_not_change_the_rows(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.state.latency = 0.01
    for concurrency in ("1", "8"):
        code, _, err = bootstrap(
            server,
            tmp_path,
            "--n",
            "30",
            "--concurrency",
            concurrency,
            "--window",
            "8",
            out=f"c{concurrency}.jsonl",
            cache=f"cache{concurrency}",
        )
        assert code == 0, err
    assert (tmp_path / "c1.jsonl").read_bytes() == (tmp_path / "c8.jsonl").read_bytes()
    provenance = read_jsonl(tmp_path / "c8.provenance.jsonl")
    # Later prompts showed earlier accepted rows (Self-Instruct), from outside the window.
    shown = [(p["request"], e) for p in provenance for e in p["example_requests"]]
    assert shown and all(example < request - 8 for request, example in shown)


@pytest.mark.parametrize(
    ("formats", "mode"),
    [
        (("json_schema", "json_object"), "json_schema"),
        (("json_object",), "json_object"),
        ((), "text"),
    ],
    ids=["schema", "json-mode", "plain-text"],
)
def test_structured_output_falls_back(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str, formats: tuple[str, ...], mode: str
) -> None:
    server.state.response_formats = formats
    code, _, err = bootstrap(server, tmp_path, "--n", "6", "--concurrency", "4")
    assert code == 0, err
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert (
        report["details"]["generate"]["structured_mode"] == mode
        and report["details"]["generate"]["accepted"] == 6
    )
    assert server.state.statuses[400] == ("json_schema", "json_object", "text").index(mode)


def test_forced_format_the_endpoint_lacks_is_one_clear_error(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.state.response_formats = ()
    code, _, err = bootstrap(server, tmp_path, "--n", "3", "--structured", "json_schema")
    assert code == 2
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    assert "--structured auto" in err and not (tmp_path / "synth.jsonl").exists()


def test_budget_stop_is_clean(server: FakeOpenAIServer, tmp_path: Path, api_key: str) -> None:
    # Prompts are ~700 tokens and max_tokens 200: the worst case is about $0.0009 a request.
    code, _, err = bootstrap(
        server,
        tmp_path,
        "--n",
        "50",
        "--prices",
        "1,1",
        "--max-budget",
        "0.01",
        "--max-tokens",
        "200",
        "--concurrency",
        "4",
    )
    assert code == 0, err
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["stop_reason"] == "budget"
    assert 0 < report["details"]["generate"]["accepted"] < 50
    assert report["details"]["generate"]["usage"]["cost"] <= 0.01
    assert len(read_jsonl(tmp_path / "synth.jsonl")) == report["details"]["generate"]["accepted"]
    assert "max-budget" in err


@pytest.mark.parametrize(
    ("task", "seeds", "profile", "keys"),
    [
        ("dpo", DPO_SEEDS, "dpo", {"prompt", "chosen", "rejected"}),
        ("kto", DPO_SEEDS, "kto", {"prompt", "completion", "label"}),
        ("dpo", SEEDS, "dpo", {"prompt", "chosen", "rejected"}),
    ],
    ids=["dpo-from-dpo-seeds", "kto", "dpo-from-sft-seeds"],
)
def test_preference_tasks_write_valid_rows(
    server: FakeOpenAIServer,
    tmp_path: Path,
    api_key: str,
    task: str,
    seeds: Path,
    profile: str,
    keys: set[str],
) -> None:
    code, _, err = bootstrap(server, tmp_path, "--task", task, "--n", "8", seeds=seeds)
    assert code == 0, err
    rows = read_jsonl(tmp_path / "synth.jsonl")
    assert len(rows) == 8 and all(set(r) == keys for r in rows)
    assert not [f for f in check_records(rows, profile) if f.severity == "error"]
    if task == "kto":
        report = json.loads((tmp_path / "synth.report.json").read_text())
        labels = [r["label"] for r in rows]
        assert report["details"]["generate"]["labels"] == {
            "desirable": labels.count(True),
            "undesirable": labels.count(False),
        }
    # String seeds give string rows; conversation seeds give conversational rows.
    assert isinstance(rows[0]["prompt"], str) == (seeds == DPO_SEEDS)


def test_dpo_from_sft_keeps_real_replies_as_chosen(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    bad = tmp_path / "chat.jsonl"
    lines = SHAREGPT.read_text().splitlines()
    bad.write_text(
        "\n".join([*lines, '{"conversations": [{"from": "human", "value": "hi"}]}', "{oops"]) + "\n"
    )
    code, _, err = bootstrap(server, tmp_path, "--task", "dpo-from-sft", seeds=bad)
    assert code == 0, err
    rows = read_jsonl(tmp_path / "synth.jsonl")
    sources = [json.loads(line)["conversations"] for line in lines]
    assert len(rows) == len(sources) == 12
    for row, turns in zip(rows, sources, strict=True):
        assert row["chosen"] == [{"role": "assistant", "content": turns[-1]["value"]}]
        assert row["prompt"][-1] == {"role": "user", "content": turns[-2]["value"]}
        assert row["rejected"][0]["content"] != turns[-1]["value"]
    assert not [f for f in check_records(rows, "dpo") if f.severity == "error"]
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["rejected"] == {
        "invalid_row": 1,
        "no_final_assistant_reply": 1,
    }
    # The generic replies are asked without a response_format and without the persona.
    assert report["details"]["generate"]["structured_mode"] == "text"


def test_key_never_appears_in_outputs_cache_or_logs(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("500")
    server.inject("length")
    code, out, err = bootstrap(server, tmp_path, "--n", "5", "--prices", "1,2")
    assert code == 0
    assert server.state.authorization_headers == {f"Bearer {FAKE_KEY}"}  # the key was really used
    assert list((tmp_path / "cache").rglob("*.json"))
    assert FAKE_KEY not in all_text_under(tmp_path) + out + err
    assert FAKE_KEY[8:24] not in all_text_under(tmp_path) + out + err


def test_wrong_key_is_one_line_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    with FakeOpenAIServer(expected_key="sk-some-other-key") as other:
        code, out, err = bootstrap(other, tmp_path, "--n", "3")
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and "HTTP 401" in err
    assert FAKE_KEY not in out + err + all_text_under(tmp_path)
    assert not (tmp_path / "synth.jsonl").exists()


def test_missing_key_variable_is_a_config_error(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    code, _, err = bootstrap(server, tmp_path, "--n", "3")
    assert code == 2 and f"{KEY_ENV} is not set" in err
    assert sum(server.state.arrivals.values()) == 0


def test_dry_run_sends_nothing_and_writes_nothing(server: FakeOpenAIServer, tmp_path: Path) -> None:
    code, out, err = bootstrap(server, tmp_path, "--n", "1000", "--prices", "2.5,10", "--dry-run")
    assert code == 0, err
    assert "about 1000 requests" in out and "cost: ~$" in out
    assert sum(server.state.arrivals.values()) == 0
    assert list(tmp_path.iterdir()) == []


def test_retries_exhausted_become_counted_rejects(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("500", count=3)
    code, _, err = bootstrap(
        server, tmp_path, "--n", "4", "--concurrency", "1", "--max-retries", "2"
    )
    assert code == 0, err
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["rejected"] == {"gave_up_after_500": 1}
    assert (
        report["details"]["generate"]["retries"] == {"500": 3}
        and report["details"]["generate"]["accepted"] == 4
    )


def test_missing_output_directory_fails_before_any_request(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    code, _, err = bootstrap(server, tmp_path, "--n", "3", out="missing/synth.jsonl")
    assert code == 2 and "does not exist" in err
    assert sum(server.state.arrivals.values()) == 0


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"status": 429, "code": "insufficient_quota"}, "no quota left"),
        ({"status": 404, "content": "The model test-model does not exist"}, "does not exist"),
        ({"status": 403}, "refused the API key"),
        (
            {"status": 400, "content": "temperature must be at most 1"},
            "temperature must be at most 1",
        ),
    ],
    ids=["no-quota", "unknown-model", "forbidden", "bad-parameter-is-not-a-format-problem"],
)
def test_errors_retries_cannot_fix_stop_the_run_in_one_line(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str, fault: dict[str, Any], message: str
) -> None:
    server.inject("status", **fault)
    code, _, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert sum(server.state.arrivals.values()) == 1  # not retried
    assert not (tmp_path / "synth.jsonl").exists()


def test_max_completion_tokens_field(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    code, _, err = bootstrap(
        server, tmp_path, "--n", "2", "--max-tokens-field", "max_completion_tokens"
    )
    assert code == 0, err
    assert (
        server.state.body_keys["max_completion_tokens"] == 2
        and "max_tokens" not in server.state.body_keys
    )


GOLDEN = SEEDS.parent / "golden_sft.jsonl"


def test_golden_output(server: FakeOpenAIServer, tmp_path: Path, api_key: str) -> None:
    """Same seeds, seed and server replies give these exact bytes (rows and provenance).

    After an intended change to prompts or row building, regenerate with
    ``DATAPREP_UPDATE_GOLDEN=1 pytest tests/bootstrap -k golden``.
    """
    code, _, err = bootstrap(server, tmp_path, "--n", "4", "--seed", "7")
    assert code == 0, err
    produced = (tmp_path / "synth.jsonl").read_text() + (
        tmp_path / "synth.provenance.jsonl"
    ).read_text()
    if os.environ.get("DATAPREP_UPDATE_GOLDEN"):
        GOLDEN.write_text(produced, encoding="utf-8")
    assert produced == GOLDEN.read_text(encoding="utf-8")
