"""`dataprep validate` accepts what `dataprep chat` writes, in each of its output formats."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_main

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("dataprep.commands.chat") is None,
    reason="dataprep chat is not written yet",
)

EXPECTED_FORMAT = {"sharegpt": "sharegpt", "openai": "messages", "trl": "messages"}


@pytest.mark.parametrize("output_format", sorted(EXPECTED_FORMAT), ids=str)
def test_chat_output_validates(output_format: str, tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "chat",
        FIXTURES / "chat",
        "--me",
        "Colin",
        "--out",
        out,
        "--output-format",
        output_format,
        "--quiet",
    )
    assert code == 0, err
    code, text, _ = run_main("validate", out, "--output-format", "json")
    report = json.loads(text)
    assert report["summary"]["error"] == 0, report["findings"][:5]
    assert code == 0
    profile = "llamafactory" if output_format == "sharegpt" else "sft"
    assert report["profile"] == profile and report["format"] == EXPECTED_FORMAT[output_format]
    assert report["rows"] == len(out.read_text().splitlines()) > 0
    if output_format == "sharegpt":
        # The fix validate suggests turns it into role/content messages that pass too.
        mapped = tmp_path / "mapped.jsonl"
        assert run_main("convert", out, "--to", "sft", "--out", mapped)[0] == 0
        code, text, _ = run_main("validate", mapped, "--output-format", "json")
        assert code == 0 and json.loads(text)["format"] == "messages"
        assert "M004" not in json.loads(text)["summary"]["by_rule"]
