"""Kill ``dataprep bootstrap`` mid-run with SIGKILL, rerun it, and count at the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bootstrap.conftest import FAKE_KEY, KEY_ENV, SEEDS
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.conftest import REPO

pytestmark = [pytest.mark.server, pytest.mark.slow]

N = 60


def _command(server: FakeOpenAIServer, out: Path, cache: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from dataprep.cli import main; main()",
        "bootstrap",
        str(SEEDS),
        "--n",
        str(N),
        "--out",
        str(out),
        "--model",
        "test-model",
        "--base-url",
        server.base_url,
        "--api-key-env",
        KEY_ENV,
        "--cache-dir",
        str(cache),
        "--concurrency",
        "4",
        "--quiet",
    ]


def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the run to make progress")
        time.sleep(0.01)


def test_resume_after_sigkill_repeats_no_successful_request(tmp_path: Path) -> None:
    env = {**os.environ, KEY_ENV: FAKE_KEY}
    out, cache = tmp_path / "synth.jsonl", tmp_path / "cache"
    held = N // 3
    # The server answers ``held`` requests, then holds the next ones (4 in flight): once the
    # client has cached every reply it got, SIGKILL lands while no reply is on its way.
    with FakeOpenAIServer(expected_key=FAKE_KEY, latency=0.02, hold_after=held) as server:
        process = subprocess.Popen(
            _command(server, out, cache),
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(lambda: len(list(cache.rglob("*.json"))) >= held, timeout=60)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
        assert server.total_successes == held
        assert not out.exists(), "a killed run must not leave a half-written output"
        server.state.hold_after = None
        server.state.release.set()

        rerun = subprocess.run(
            _command(server, out, cache),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert server.repeated_successes == 0
        assert server.total_successes == N
        resumed = out.read_bytes()
        assert len(resumed.splitlines()) == N

        # The same run uninterrupted, on a fresh cache, writes the same bytes.
        server.reset()
        fresh = tmp_path / "fresh.jsonl"
        single = subprocess.run(
            _command(server, fresh, tmp_path / "cache2"),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert single.returncode == 0, single.stderr
    assert fresh.read_bytes() == resumed


def test_ctrl_c_writes_nothing_and_says_how_to_resume(tmp_path: Path) -> None:
    env = {**os.environ, KEY_ENV: FAKE_KEY}
    out, cache = tmp_path / "synth.jsonl", tmp_path / "cache"
    with FakeOpenAIServer(expected_key=FAKE_KEY, latency=0.05) as server:
        process = subprocess.Popen(
            _command(server, out, cache),
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(lambda: len(list(cache.rglob("*.json"))) >= 5, timeout=60)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "run the same command again to resume" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # no output, no temp file
