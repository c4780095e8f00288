"""Proof against the real trainer: what we pass, datasets + TRL accept; what they break on, we reject.

Every fixture file (good and bad) is loaded with ``datasets.load_dataset("json", ...)`` and
run through the trainer's own ``_prepare_dataset`` (SFT, DPO, reward, KTO: format detection,
prompt extraction, chat template, EOS, tokenization) with a local tokenizer and ChatML template.
GRPO has no such step; its reward-function call is reproduced from grpo_trainer.py.
"""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, run_main

pytestmark = pytest.mark.slow

datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")

VALIDATE = FIXTURES / "validate"
FILES = sorted((VALIDATE / "good").rglob("*.jsonl")) + sorted((VALIDATE / "bad").rglob("*.jsonl"))


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    datasets.disable_progress_bars()
    return AutoTokenizer.from_pretrained(str(VALIDATE / "tokenizer"))


@pytest.fixture(scope="module")
def prepare(tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prepare(path, profile)``: load ``path`` and run the trainer's dataset preparation."""
    from trl import DPOConfig, KTOConfig, RewardConfig, SFTConfig
    from trl.trainer.dpo_trainer import DPOTrainer
    from trl.trainer.kto_trainer import KTOTrainer
    from trl.trainer.reward_trainer import DataCollatorForPreference, RewardTrainer
    from trl.trainer.sft_trainer import SFTTrainer

    common = {
        "output_dir": str(tmp_path_factory.mktemp("trl")),
        "report_to": [],
        "bf16": False,
        "use_cpu": True,
    }
    # The few attributes each _prepare_dataset reads from the trainer instance.
    sft_self = types.SimpleNamespace(
        _tokenizer=tokenizer, chat_template=None, completion_only_loss=None
    )
    kto_self = types.SimpleNamespace(
        _tokenizer=tokenizer, calculate_KL=True, desirable_weight=1.0, undesirable_weight=1.0
    )

    def run(path: Path, profile: str) -> None:
        dataset = datasets.load_dataset("json", data_files=str(path), split="train")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if profile == "sft":
                SFTTrainer._prepare_dataset(
                    sft_self, dataset, tokenizer, SFTConfig(**common), False, None, "train"
                )
            elif profile == "dpo":
                DPOTrainer._prepare_dataset(
                    types.SimpleNamespace(_tokenizer=tokenizer),
                    dataset,
                    tokenizer,
                    DPOConfig(**common),
                    "train",
                )
            elif profile == "reward":
                prepared = RewardTrainer._prepare_dataset(
                    types.SimpleNamespace(), dataset, tokenizer, RewardConfig(**common), "train"
                )
                DataCollatorForPreference(pad_token_id=tokenizer.pad_token_id)(prepared.to_list())
            elif profile == "kto":
                KTOTrainer._prepare_dataset(
                    kto_self, dataset, tokenizer, KTOConfig(**common), "train"
                )
            else:
                _grpo(dataset.to_list(), tokenizer)

    return run


def _grpo(rows: list[dict], tokenizer: Any) -> None:
    from trl.data_utils import maybe_apply_chat_template

    def reward(prompts: list, completions: list, **kwargs: Any) -> list[float]:
        return [0.0 for _ in prompts]

    for row in rows:
        prompt = maybe_apply_chat_template({"prompt": row["prompt"]}, tokenizer)["prompt"]
        tokenizer(text=prompt)
        # grpo_trainer._calculate_rewards: every column but these goes to reward functions.
        keys = [key for key in row if key not in ["prompt", "completion", "completion_ids"]]
        kwargs: dict[str, Any] = {key: [row[key]] for key in keys}
        kwargs["trainer_state"] = None
        kwargs["log_extra"] = kwargs["log_metric"] = print
        reward(prompts=[prompt], completions=["x"], completion_ids=[[1]], **kwargs)


def _trl_error(prepare: Any, path: Path) -> str | None:
    try:
        prepare(path, path.parent.name)
    except Exception as error:  # any failure of datasets or TRL counts
        return f"{type(error).__name__}: {error}"
    return None


@pytest.mark.parametrize(
    "path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}"
)
def test_validate_agrees_with_trl(path: Path, prepare: Any) -> None:
    code, out, _ = run_main(
        "validate", path, "--format", path.parent.name, "--output-format", "json"
    )
    passed = code == 0
    trl_error = _trl_error(prepare, path)
    if passed:
        assert trl_error is None, f"we pass {path.name} but TRL fails: {trl_error}"
    if trl_error is not None:
        assert not passed, f"TRL fails ({trl_error}) but we pass {path.name}"
        assert json.loads(out)["summary"]["error"] > 0


# Files that really break datasets or TRL, so the agreement test above is not vacuous.
TRL_BREAKERS = [
    "sft/J001-invalid-json",
    "sft/J002-not-an-object",
    "sft/J003-bad-utf8",
    "sft/F001-needs-mapping",
    "sft/F003-format-drift",
    "sft/F005-mixed-kinds",
    "sft/F009-empty-file",
    "sft/M001-empty-messages",
    "dpo/F005-string-prompt-conversational-answers",
    "dpo/F006-sft-rows-for-dpo",
    "dpo/P005-empty-chosen",
    "grpo/G001-reserved-column",
    "grpo/F001-no-prompt",
    "kto/K001-label-not-boolean",
    "reward/R001-margin-not-number",
]


@pytest.mark.parametrize("name", TRL_BREAKERS, ids=str)
def test_known_breakers_break_trl(name: str, prepare: Any) -> None:
    assert _trl_error(prepare, VALIDATE / "bad" / f"{name}.jsonl") is not None


def test_trl_prompt_split_matches_extract_prompt() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from trl.data_utils import extract_prompt

    from dataprep.validate.rows import trl_prompt_split

    @settings(max_examples=200, deadline=None)
    @given(
        st.text(alphabet="ab ", min_size=1, max_size=8),
        st.text(alphabet="ab ", min_size=1, max_size=8),
    )
    def check(chosen: str, rejected: str) -> None:
        index, _ = trl_prompt_split(chosen, rejected)
        assert extract_prompt({"chosen": chosen, "rejected": rejected})["prompt"] == chosen[:index]

    check()


def test_converted_files_go_through_trl(prepare: Any, tmp_path: Path) -> None:
    from tests.validate.test_fixes import ROWS

    for name, rows in ROWS.items():
        source, out = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.mapped.jsonl"
        source.write_text("".join(json.dumps(row) + "\n" for row in rows))
        code, _, err = run_main("convert", source, "--out", out)
        assert code == 0, err
        profile = "sft" if "messages" in json.loads(out.read_text().splitlines()[0]) else "dpo"
        assert run_main("validate", out, "--format", profile)[0] == 0
        prepare(out, profile)
