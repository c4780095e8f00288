"""Fixtures for the bootstrap tests: the loopback OpenAI-compatible server and a fake key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.conftest import FIXTURES

SEEDS = FIXTURES / "bootstrap" / "persona_seeds.jsonl"
DPO_SEEDS = FIXTURES / "bootstrap" / "dpo_seeds.jsonl"
SHAREGPT = FIXTURES / "bootstrap" / "chat_sharegpt.jsonl"
#: Distinctive, so a leak anywhere is found by a plain substring search.
FAKE_KEY = "sk-test-DATAPREP-b00t5trap-7c1f9e2a4d"
KEY_ENV = "DATAPREP_TEST_OPENAI_KEY"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    """A fresh server per test that insists on the fake key."""
    with FakeOpenAIServer(expected_key=FAKE_KEY) as running:
        yield running


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    return FAKE_KEY


def all_text_under(folder: Path) -> str:
    """Every file under ``folder`` decoded leniently, for leak searches."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )
