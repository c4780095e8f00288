"""Record models: committed JSON Schemas match the models, and the models accept the good fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from dataprep.records import RECORD_MODELS
from dataprep.validate import check_records
from tests.conftest import FIXTURES, REPO, run_main

VALIDATORS = REPO / "validators"
GOOD = FIXTURES / "validate" / "good"

# Good fixture file -> the record model its rows must satisfy.
MODEL_FOR_FIXTURE = {
    "sft/messages": "sft_messages",
    "sft/text": "sft_text",
    "sft/prompt_completion": "sft_prompt_completion",
    "sft/prompt_completion_conversational": "sft_prompt_completion_conversational",
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


_role = st.sampled_from(["system", "user", "assistant", "tool", "gpt", "Colin", None])
_content = st.one_of(
    st.text(max_size=4),
    st.none(),
    st.integers(),
    st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=3)}), max_size=2
    ),
)
_message = st.fixed_dictionaries({"role": _role, "content": _content}) | st.fixed_dictionaries(
    {"role": _role}
)
_turns = st.lists(_message, max_size=4)
_field = st.one_of(st.text(max_size=4), _turns, st.integers(), st.none())

# profile -> rows in the shapes it accepts, with wrong types and empty values mixed in
_CASES = {
    "sft": st.fixed_dictionaries({"messages": _turns}),
    "dpo": st.fixed_dictionaries({"prompt": _field, "chosen": _field, "rejected": _field})
    | st.fixed_dictionaries({"chosen": _field, "rejected": _field}),
    "kto": st.fixed_dictionaries(
        {
            "prompt": _field,
            "completion": _field,
            "label": st.one_of(st.booleans(), st.just("true"), st.integers(0, 1)),
        }
    ),
}


def _model_for(row: dict, profile: str) -> str:
    conversational = any(isinstance(value, list) for value in row.values())
    suffix = "_conversational" if conversational else ""
    if profile == "sft":
        return "sft_messages"
    if profile == "kto":
        return "kto" + suffix
    return ("dpo_explicit" if "prompt" in row else "dpo_implicit") + suffix


@pytest.mark.parametrize("profile", sorted(_CASES), ids=str)
def test_rows_the_linter_passes_satisfy_the_record_model(profile: str) -> None:
    strategy = _CASES[profile]

    @settings(max_examples=300, deadline=None)
    @given(strategy)
    def check(row: dict) -> None:
        errors = [f for f in check_records([row], profile) if f.severity == "error"]
        if not errors:
            RECORD_MODELS[_model_for(row, profile)].model_validate(row)

    check()
