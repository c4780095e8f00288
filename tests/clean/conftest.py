"""Fixtures of the clean tests: one real presidio/spaCy analyzer per session, a socket guard."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FIXTURES

sys.path.insert(0, str(FIXTURES / "clean"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fails any attempt to open a network connection (tldextract, model hubs)."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: refuse(None, a[:2]))  # type: ignore[arg-type]
    yield attempts


@pytest.fixture(scope="session")
def analyzer() -> Any:
    from dataprep.clean.pii import BatchAnalyzer
    from dataprep.clean.scrub import DEFAULT_ENTITIES

    return BatchAnalyzer(entities=DEFAULT_ENTITIES)
