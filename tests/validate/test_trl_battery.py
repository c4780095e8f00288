"""validate's verdict agrees with what the real TRL trainers did with each fixture (one step each).

``fixtures/validate/trl_outcomes.json`` is written by ``fixtures/validate/record_trl.py``, which
trains a randomly initialised tiny Llama for one step with SFTTrainer, DPOTrainer, GRPOTrainer,
KTOTrainer or RewardTrainer on every fixture and records whether TRL failed, dropped rows, or
damaged the rows it kept. validate must fail (exit 1) exactly on the files TRL did not train on
cleanly, except for the deliberate differences below (each stricter than TRL, each in the docs).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, run_main

pytest.importorskip("transformers")

VALIDATE = FIXTURES / "validate"
RECORDED = json.loads((VALIDATE / "trl_outcomes.json").read_text())
#: The installed TRL's record, and the oldest TRL the docs claim (1.0.0, recorded with
#: ``PYTHONPATH=<trl 1.0.0> record_trl.py "*" fixtures/validate/trl_outcomes-1.0.0.json``).
RECORDS = {
    "installed": RECORDED,
    "1.0.0": json.loads((VALIDATE / "trl_outcomes-1.0.0.json").read_text()),
}
CASES = [(version, name) for version, record in RECORDS.items() for name in sorted(record["files"])]
OPTIONS = json.loads((VALIDATE / "conformance" / "options.json").read_text())

#: Files where validate is deliberately stricter than TRL (documented in docs/validate.md).
STRICTER = {
    "bad/sft/F004-content-type-drift.jsonl": "datasets < 4 cannot load a field whose JSON type "
    "varies; datasets 4+ stores it as Json, which TRL renders, so only old stacks fail",
}


def _validate(name: str) -> tuple[int, dict]:
    path = VALIDATE / name
    extra = OPTIONS.get(name, {})
    args = ["--max-length", str(extra.get("max_length", 1024)), *extra.get("validate", [])]
    code, out, err = run_main(
        "validate",
        path,
        "--format",
        path.parent.name,
        "--tokenizer",
        VALIDATE / "tokenizer",
        "--output-format",
        "json",
        *args,
    )
    assert code in (0, 1), err
    return code, json.loads(out)


@pytest.mark.parametrize(("version", "name"), CASES, ids=[f"{v}:{n}" for v, n in CASES])
def test_validate_agrees_with_the_recorded_trl_outcome(version: str, name: str) -> None:
    outcome = RECORDS[version]["files"][name]
    code, report = _validate(name)
    trl_clean = outcome["outcome"] == "trains"
    if name in STRICTER:
        assert trl_clean and code == 1, "a listed difference no longer differs: update STRICTER"
        return
    assert (code == 0) == trl_clean, (outcome, report["summary"]["by_rule"])


def test_battery_covers_every_profile_and_outcome() -> None:
    files = RECORDED["files"]
    assert {name.split("/")[1] for name in files} == {"sft", "dpo", "grpo", "kto", "reward"}
    assert {entry["outcome"] for entry in files.values()} == {"trains", "fails", "drops", "damages"}
    assert len(STRICTER) <= 3
    fixtures = {
        str(path.relative_to(VALIDATE))
        for group in ("good", "bad", "conformance")
        for path in (VALIDATE / group).glob("*/*.jsonl")
    }
    assert fixtures == set(files), "re-run fixtures/validate/record_trl.py"


def test_recorded_with_the_installed_trl() -> None:
    trl = pytest.importorskip("trl")
    assert RECORDED["versions"]["trl"] == trl.__version__
    assert RECORDS["1.0.0"]["versions"]["trl"] == "1.0.0"
    assert set(RECORDS["1.0.0"]["files"]) == set(RECORDED["files"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "good/sft/messages.jsonl",
        "bad/sft/M011-weight-zero.jsonl",
        "bad/dpo/P007-json-string-chosen.jsonl",
        "conformance/reward/at-max-length.jsonl",
        "bad/grpo/G002-unreachable-column.jsonl",
    ],
)
def test_recording_is_reproducible(name: str) -> None:
    """Re-run the real trainer on a few files: the recorded outcome still holds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("record_trl", VALIDATE / "record_trl.py")
    assert spec is not None and spec.loader is not None
    record = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(record)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(VALIDATE / "tokenizer"))
    result = record.run_file(VALIDATE / name, tokenizer, OPTIONS.get(name, {}))
    assert result == RECORDED["files"][name]
