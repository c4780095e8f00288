"""Helpers for the voice tests: fixture paths, known texts, word error rate, odd files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

VOICE = Path(__file__).resolve().parents[2] / "fixtures" / "voice"
SPEAKERS = VOICE / "speakers"
NARRATION = SPEAKERS / "colin" / "narration.wav"


def known_texts() -> dict[str, list[str]]:
    """Sentences spoken in each fixture, keyed by path relative to fixtures/voice."""
    return json.loads((VOICE / "texts.json").read_text(encoding="utf-8"))


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; digits spelled as Whisper tends to write them."""
    text = text.lower().replace("7", "seven").replace("o'clock", "oclock")
    return re.findall(r"[a-z0-9']+", text)


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


@pytest.fixture(scope="session")
def narration() -> tuple[np.ndarray, int]:
    return read_mono(NARRATION)
