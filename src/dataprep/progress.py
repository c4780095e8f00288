"""Progress reporting through a tiny interface.

The library reports progress only through a ``Progress`` object it is handed; it never
prints. The CLI passes a rich-backed one; tests pass ``RecordingProgress``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["NullProgress", "Progress", "RecordingProgress"]


class Progress(Protocol):
    """Receives progress events keyed by a short task name."""

    def task(self, key: str, description: str, total: float | None = None) -> None:
        """Declare (or re-declare) a task; ``total`` is None when unknown."""

    def advance(self, key: str, amount: float = 1) -> None:
        """Move a task forward by ``amount``."""

    def close(self) -> None:
        """Finish drawing."""


class NullProgress:
    """Discards every event."""

    def task(self, key: str, description: str, total: float | None = None) -> None:
        return None

    def advance(self, key: str, amount: float = 1) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class RecordingProgress:
    """Keeps every event, for tests."""

    events: list[tuple[str, str, float | None]] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)

    def task(self, key: str, description: str, total: float | None = None) -> None:
        self.events.append(("task", key, total))

    def advance(self, key: str, amount: float = 1) -> None:
        self.events.append(("advance", key, amount))
        self.totals[key] = self.totals.get(key, 0) + amount

    def close(self) -> None:
        self.events.append(("close", "", None))
