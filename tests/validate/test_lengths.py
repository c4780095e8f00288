"""Template-exact preflight: our token counts equal what TRL's trainers tokenize, and cuts are predicted."""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from dataprep.validate.lengths import LengthChecker, load_tokenizer, percentiles
from dataprep.validate.reader import validate_file
from tests.conftest import FIXTURES, run_main

pytest.importorskip("transformers")

TOKENIZER = FIXTURES / "validate" / "tokenizer"
GOOD = FIXTURES / "validate" / "good"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _trl_lengths(path: Path, profile: str) -> list[int]:
    """The longest sequence per row that the real trainer's _prepare_dataset builds (no limit)."""
    datasets = pytest.importorskip("datasets")
    pytest.importorskip("trl")
    from trl import DPOConfig, KTOConfig, RewardConfig, SFTConfig
    from trl.trainer.dpo_trainer import DPOTrainer
    from trl.trainer.kto_trainer import KTOTrainer
    from trl.trainer.reward_trainer import RewardTrainer
    from trl.trainer.sft_trainer import SFTTrainer

    tokenizer = load_tokenizer(TOKENIZER)
    datasets.disable_progress_bars()
    dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    common: dict[str, Any] = {
        "output_dir": "/tmp/unused",
        "report_to": [],
        "max_length": None,
        "bf16": False,
        "use_cpu": True,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if profile == "sft":
            owner = types.SimpleNamespace(
                _tokenizer=tokenizer, chat_template=None, completion_only_loss=None
            )
            out = SFTTrainer._prepare_dataset(
                owner, dataset, tokenizer, SFTConfig(**common), False, None, "train"
            )
            return [len(row["input_ids"]) for row in out]
        if profile == "dpo":
            owner = types.SimpleNamespace(_tokenizer=tokenizer)
            out = DPOTrainer._prepare_dataset(
                owner, dataset, tokenizer, DPOConfig(**common), "train"
            )
            return [
                len(r["prompt_ids"]) + max(len(r["chosen_ids"]), len(r["rejected_ids"]))
                for r in out
            ]
        if profile == "reward":
            out = RewardTrainer._prepare_dataset(
                types.SimpleNamespace(), dataset, tokenizer, RewardConfig(**common), "train"
            )
            return [max(len(r["chosen_ids"]), len(r["rejected_ids"])) for r in out]
        owner = types.SimpleNamespace(
            _tokenizer=tokenizer, calculate_KL=False, desirable_weight=1.0, undesirable_weight=1.0
        )
        out = KTOTrainer._prepare_dataset(owner, dataset, tokenizer, KTOConfig(**common), "train")
        return [len(r["prompt_ids"]) + len(r["completion_ids"]) for r in out]


COMPARED = [
    path
    for path in sorted(GOOD.rglob("*.jsonl"))
    if path.parent.name in ("sft", "dpo", "reward", "kto")
]


@pytest.mark.parametrize("path", COMPARED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_counts_equal_what_trl_tokenizes(path: Path) -> None:
    profile = path.parent.name
    checker = LengthChecker(TOKENIZER, 100_000)
    report = validate_file(path, profile, row_hook=checker)
    assert report.exit_code() == 0
    assert list(checker.lengths) == _trl_lengths(path, profile)


def test_row_exactly_at_max_length_is_truncated_because_of_eos(tmp_path: Path) -> None:
    tokenizer = load_tokenizer(TOKENIZER)
    text = "Question: What color is the sky? Answer: It is blue."
    size = len(tokenizer(text)["input_ids"])
    path = _write(tmp_path / "t.jsonl", [{"text": text}])
    checker = LengthChecker(tokenizer, size)  # the text alone fits exactly; its EOS does not
    report = validate_file(path, "sft", row_hook=checker)
    assert report.counts["L001"] == 1 and report.exit_code() == 1
    assert validate_file(path, "sft", row_hook=LengthChecker(tokenizer, size + 1)).exit_code() == 0
    reward = _write(tmp_path / "r.jsonl", [{"chosen": text, "rejected": "Question: no"}])
    report = validate_file(reward, "reward", row_hook=LengthChecker(tokenizer, size))
    assert report.counts["L002"] == 1  # RewardTrainer drops it


def test_kto_prompt_over_the_limit_is_dropped_not_truncated(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "k.jsonl",
        [{"prompt": "sky " * 80, "completion": " blue", "label": True}],
    )
    report = validate_file(path, "kto", row_hook=LengthChecker(TOKENIZER, 40))
    assert report.counts["L002"] == 1 and "L001" not in report.counts
    assert "KTOTrainer drops" in report.findings[0].message


@pytest.mark.parametrize(
    ("profile", "rows", "rule"),
    [
        ("dpo", [{"prompt": "sky " * 80, "chosen": " blue", "rejected": " green"}], "L002"),
        ("reward", [{"chosen": "The sky is " + "blue " * 80, "rejected": "The sky"}], "L002"),
        ("dpo", [{"prompt": "Sky?", "chosen": " blue" * 80, "rejected": " green"}], "L001"),
        ("kto", [{"prompt": "Sky?", "completion": " blue" * 80, "label": True}], "L001"),
        ("sft", [{"prompt": "sky " * 80, "completion": " blue"}], "L002"),
    ],
    ids=["dpo-drop", "reward-drop", "dpo-truncate", "kto-truncate", "sft-pc-drop"],
)
def test_cuts_are_predicted(profile: str, rows: list[dict], rule: str, tmp_path: Path) -> None:
    report = validate_file(
        _write(tmp_path / "p.jsonl", rows), profile, row_hook=LengthChecker(TOKENIZER, 40)
    )
    assert rule in report.counts, report.findings


def test_assistant_only_loss_without_generation_markers(tmp_path: Path) -> None:
    path = GOOD / "sft" / "messages.jsonl"
    code, out, _ = run_main(
        "validate",
        path,
        "--tokenizer",
        TOKENIZER,
        "--assistant-only-loss",
        "--output-format",
        "json",
    )
    report = json.loads(out)
    assert code == 1 and report["summary"]["by_rule"]["L004"] == 6
    assert "{% generation %}" in report["findings"][0]["message"]


def test_assistant_only_loss_with_generation_markers(tmp_path: Path) -> None:
    template = tmp_path / "gen.jinja"
    template.write_text(
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
        "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}<|im_end|>{% endgeneration %}"
        "{% else %}{{ m['content'] }}<|im_end|>{% endif %}\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Hi?"},
                {"role": "assistant", "content": "Hello."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "What is the sky " * 30},
                {"role": "assistant", "content": "Blue."},
            ]
        },
        {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "Hi?"}]},
    ]
    tokenizer = load_tokenizer(TOKENIZER, template)
    checker = LengthChecker(tokenizer, 40, assistant_only_loss=True)
    report = validate_file(_write(tmp_path / "m.jsonl", rows), "sft", row_hook=checker)
    by_line = {(f.rule, f.line) for f in report.findings if f.rule.startswith("L")}
    assert by_line == {("L002", 2), ("L004", 3)}


def test_template_errors_are_reported(tmp_path: Path) -> None:
    template = tmp_path / "strict.jinja"
    template.write_text(
        "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
        "{% endif %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    )
    ok = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "c"}]}
    bad = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
        ]
    }
    path = _write(tmp_path / "m.jsonl", [ok, bad, ok])
    code, out, _ = run_main(
        "validate",
        path,
        "--tokenizer",
        TOKENIZER,
        "--chat-template",
        template,
        "--output-format",
        "json",
    )
    report = json.loads(out)
    assert code == 1
    errors = [f for f in report["findings"] if f["rule"] == "L003"]
    assert [f["line"] for f in errors] == [2] and "must alternate" in errors[0]["message"]


def test_summary_has_percentiles_and_roles() -> None:
    checker = LengthChecker(TOKENIZER, 1024)
    validate_file(GOOD / "sft" / "messages.jsonl", "sft", row_hook=checker)
    summary = checker.summary() or ""
    assert "min " in summary and "median " in summary and "p95 " in summary
    assert "assistant " in summary and "user " in summary and "template " in summary
    roles = checker.stats.roles
    assert roles["assistant"] > 0 and roles["system"] > 0
    assert sum(roles.values()) == sum(checker.lengths)


def test_bad_tokenizer_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "tokenizer.json"
    broken.write_text("{not json")
    code, _, err = run_main("validate", GOOD / "sft" / "text.jsonl", "--tokenizer", broken)
    assert code == 2 and err.startswith("Error: ") and "cannot load the tokenizer" in err


def test_tokenizer_without_chat_template(tmp_path: Path) -> None:
    bare = tmp_path / "tokenizer.json"
    bare.write_bytes((TOKENIZER / "tokenizer.json").read_bytes())
    report = validate_file(GOOD / "sft" / "messages.jsonl", "sft", row_hook=LengthChecker(bare))
    assert report.counts["L003"] == 6 and "no chat template" in report.findings[0].message


def test_percentiles() -> None:
    assert percentiles(list(range(1, 101))) == (1, 51, 96, 100)
    assert percentiles([7]) == (7, 7, 7, 7)
