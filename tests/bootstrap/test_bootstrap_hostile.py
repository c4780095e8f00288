"""``dataprep bootstrap`` against a hostile or broken endpoint (a real loopback server).

A server may echo the API key anywhere (reply text, a rejected reply, the ``model`` field,
an error message), drip its reply one byte at a time, send non-numeric usage, or fail every
request. None of it may leak the key, hang the run past its deadline, or end in a traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.bootstrap.conftest import FAKE_KEY, all_text_under
from tests.bootstrap.fake_openai_server import KEY_MARK, FakeOpenAIServer
from tests.bootstrap.test_bootstrap_server import bootstrap

pytestmark = pytest.mark.server


def _leaks(tmp: Path, *texts: str) -> list[str]:
    """Which parts of the key (whole, or any 12-character piece) appear anywhere."""
    haystack = all_text_under(tmp) + "".join(texts)
    pieces = [FAKE_KEY[i : i + 12] for i in range(0, len(FAKE_KEY) - 11)]
    return [piece for piece in pieces if piece in haystack]


def _sample_with_key() -> str:
    messages = [
        {"role": "user", "content": f"What is the token {KEY_MARK} for, exactly?"},
        {"role": "assistant", "content": f"It is {KEY_MARK}; keep it secret, keep it safe."},
    ]
    return json.dumps({"messages": messages})


def test_key_echoed_in_an_accepted_reply_is_redacted_everywhere(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("reply", content=_sample_with_key())
    code, out, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 0, err
    rows = (tmp_path / "synth.jsonl").read_text()
    assert "[redacted]" in rows  # the echoed row was kept, without the key
    assert _leaks(tmp_path, out, err) == []


def test_key_echoed_in_a_rejected_reply_is_redacted(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    # Broken twice (the reply and its one repair): a rejected reply, kept in --rejects.
    server.inject("reply", count=2, content=f"not JSON, but here is your key: {KEY_MARK}")
    code, out, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 0, err
    assert "[redacted]" in (tmp_path / "rejects.jsonl").read_text()
    assert _leaks(tmp_path, out, err) == []


def test_key_echoed_in_the_model_field_stays_out_of_the_provenance(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("reply", model=f"served-by-{KEY_MARK}")
    code, out, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 0, err
    assert "served-by-[redacted]" in (tmp_path / "synth.provenance.jsonl").read_text()
    assert _leaks(tmp_path, out, err) == []


def test_key_in_a_long_error_message_is_redacted_before_it_is_cut(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    # The cut at 200 characters used to fall inside the key, leaving 50 of 51 characters.
    server.inject("status", status=400, content="bad parameter " + "x" * 150 + KEY_MARK)
    code, out, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 2 and "HTTP 400" in err and len(err.strip().splitlines()) == 1
    assert _leaks(tmp_path, out, err) == []


def test_a_cached_reply_holding_the_key_is_refused_and_asked_again(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    code, _, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 0, err
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    for entry in entries:  # as an older version, or another tool, could have left them
        data = json.loads(entry.read_text())
        data["reply"]["model"] = f"leaky-{FAKE_KEY}"
        entry.write_text(json.dumps(data))
    before = sum(server.state.arrivals.values())
    code, out, err = bootstrap(server, tmp_path, "--n", "3", "--concurrency", "1")
    assert code == 0, err
    assert sum(server.state.arrivals.values()) - before == len(entries)  # asked again
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["cache"]["refused_with_key"] == len(entries)
    assert _leaks(tmp_path, out, err) == []


def test_every_request_failing_exits_2_and_writes_nothing(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("500", count=100)
    code, _, err = bootstrap(
        server, tmp_path, "--n", "3", "--max-retries", "1", "--concurrency", "1"
    )
    assert code == 2, err
    assert "every request failed" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "synth.jsonl").exists()


def test_a_slow_drip_reply_is_cut_at_the_wall_clock_deadline(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    # About 500 bytes at 0.2 s each: 100 s without a deadline, though no read is ever idle.
    server.inject("drip", drip_interval=0.2)
    started = time.monotonic()
    code, _, err = bootstrap(server, tmp_path, "--n", "2", "--concurrency", "1", "--timeout", "1")
    assert code == 0, err
    assert time.monotonic() - started < 30
    report = json.loads((tmp_path / "synth.report.json").read_text())
    assert report["details"]["generate"]["retries"].get("timeout") == 1


def test_non_numeric_usage_counts_as_zero(
    server: FakeOpenAIServer, tmp_path: Path, api_key: str
) -> None:
    server.inject("bad_usage")
    code, _, err = bootstrap(server, tmp_path, "--n", "2", "--concurrency", "1")
    assert code == 0, err
    assert "Traceback" not in err
