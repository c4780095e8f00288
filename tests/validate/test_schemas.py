"""Record models: committed JSON Schemas match the models, and the models accept the good fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from dataprep.records import RECORD_MODELS
from tests.conftest import FIXTURES, REPO, run_main

VALIDATORS = REPO / "validators"
GOOD = FIXTURES / "validate" / "good"

# Good fixture file -> the record model its rows must satisfy.
MODEL_FOR_FIXTURE = {
    "sft/messages": "sft_messages",
    "sft/text": "sft_text",
    "sft/prompt_completion": "sft_prompt_completion",
    "sft/prompt_completion_conversational": "sft_prompt_completion_conversational",
    "sft/sharegpt": "sharegpt",
    "sft/openai_chat": "openai_chat",
    "dpo/explicit": "dpo_explicit",
    "dpo/explicit_conversational": "dpo_explicit_conversational",
    "dpo/implicit": "dpo_implicit",
    "dpo/implicit_conversational": "dpo_implicit_conversational",
    "reward/implicit": "dpo_implicit",
    "grpo/prompt": "grpo",
    "grpo/prompt_conversational": "grpo_conversational",
    "kto/unpaired": "kto",
    "kto/unpaired_conversational": "kto_conversational",
}


def test_committed_schemas_match_the_models(tmp_path: Path) -> None:
    code, _, err = run_main("schemas", "--out", tmp_path)
    assert code == 0, err
    generated = {p.name: p.read_text() for p in tmp_path.glob("*.schema.json")}
    committed = {p.name: p.read_text() for p in VALIDATORS.glob("*.schema.json")}
    assert set(generated) == {f"{name}.schema.json" for name in RECORD_MODELS}
    drifted = sorted(name for name in generated if committed.get(name) != generated[name])
    stale = sorted(set(committed) - set(generated))
    assert not drifted and not stale, (
        f"validators/ is out of date (changed: {drifted}, stale: {stale}); run `make schemas` and commit the result"
    )


def test_record_models_cover_the_contract() -> None:
    mine = set(MODEL_FOR_FIXTURE.values())
    assert mine <= set(RECORD_MODELS)
    for name, model in RECORD_MODELS.items():
        assert issubclass(model, BaseModel)
        assert model.__doc__, f"{name} needs a docstring"


@pytest.mark.parametrize("fixture", sorted(MODEL_FOR_FIXTURE), ids=str)
def test_good_rows_satisfy_their_model(fixture: str) -> None:
    model = RECORD_MODELS[MODEL_FOR_FIXTURE[fixture]]
    for line in (GOOD / f"{fixture}.jsonl").read_text().splitlines():
        model.model_validate(json.loads(line))


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("kto", {"prompt": "q", "completion": "a", "label": "true"}),
        ("sharegpt", {"conversations": [{"from": "hummany", "value": "x"}]}),
        ("sft_messages", {"messages": []}),
        ("openai_chat", {"messages": [{"role": "assistant", "content": "a", "weight": 2}]}),
        ("openai_chat", {"messages": [{"role": "user", "content": "q"}], "extra": 1}),
    ],
    ids=[
        "kto-string-label",
        "sharegpt-role",
        "empty-messages",
        "openai-weight",
        "openai-extra-key",
    ],
)
def test_models_reject_what_the_linter_rejects(name: str, row: dict) -> None:
    with pytest.raises(ValidationError):
        RECORD_MODELS[name].model_validate(row)


def test_schema_files_are_valid_json_schema_documents() -> None:
    for path in VALIDATORS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        assert schema["$schema"].startswith("https://json-schema.org/")
        assert schema["$id"] == path.name
        assert schema["type"] == "object"
