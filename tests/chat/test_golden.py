"""Golden end-to-end test: `dataprep chat` on the bundled fixtures, diffed against committed output.

When a change to the chat stages is intended, regenerate with
``DATAPREP_UPDATE_GOLDEN=1 pytest tests/chat/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import difflib
import os
import shutil

import pytest

from tests.conftest import FIXTURES, REPO, run_main

GOLDEN = REPO / "tests" / "golden" / "chat"
FILES = (
    "train.jsonl",
    "val.jsonl",
    "test.jsonl",
    "train.sources.jsonl",
    "val.sources.jsonl",
    "test.sources.jsonl",
)


@pytest.mark.model
def test_chat_on_fixtures_matches_golden_output(tmp_path):
    out = tmp_path / "train.jsonl"
    code, _, err = run_main("chat", FIXTURES / "chat", "--me", "Colin", "--out", out, "-q")
    assert code == 0, err
    if os.environ.get("DATAPREP_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(tmp_path / name, GOLDEN / name)
    for name in FILES:
        expected = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
        actual = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        diff = "\n".join(
            difflib.unified_diff(expected, actual, f"golden/{name}", f"new/{name}", lineterm="")
        )
        assert not diff, f"{name} differs from the golden output:\n{diff}"
