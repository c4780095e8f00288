"""Token lengths with a local tokenizer: counts match transformers, and drops/truncations are predicted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.validate.lengths import LengthChecker, percentiles
from dataprep.validate.reader import validate_file
from tests.conftest import FIXTURES, run_main

TOKENIZER = FIXTURES / "validate" / "tokenizer"
GOOD = FIXTURES / "validate" / "good"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_counts_match_transformers_chat_template() -> None:
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoTokenizer.from_pretrained(str(TOKENIZER))
    checker = LengthChecker(TOKENIZER, 1024)
    assert checker.exact
    for line in (GOOD / "sft" / "messages.jsonl").read_text().splitlines():
        messages = json.loads(line)["messages"]
        expected = reference.apply_chat_template(messages, tokenize=False)
        assert checker.render(messages) == expected
        assert checker.count(checker.render(messages)) == len(
            reference(expected, add_special_tokens=False)["input_ids"]
        )


def test_sft_truncation_is_predicted(tmp_path: Path) -> None:
    checker = LengthChecker(TOKENIZER, 30)
    report = validate_file(GOOD / "sft" / "messages.jsonl", "sft", row_hook=checker)
    lengths = sorted(checker.lengths)
    assert report.counts["L001"] == sum(length > 30 for length in lengths) > 0
    assert "L002" not in report.counts
    assert report.exit_code() == 0  # truncation is a warning


def test_sft_prompt_completion_drop_is_an_error(tmp_path: Path) -> None:
    long_prompt = " ".join(["What color is the sky on a clear day?"] * 20)
    path = _write(
        tmp_path / "pc.jsonl",
        [
            {"prompt": long_prompt, "completion": " Blue."},
            {"prompt": "Hi?", "completion": " Hello."},
        ],
    )
    code, out, _ = run_main(
        "validate", path, "--tokenizer", TOKENIZER, "--max-length", "64", "--output-format", "json"
    )
    report = json.loads(out)
    assert code == 1
    dropped = [f for f in report["findings"] if f["rule"] == "L002"]
    assert [f["line"] for f in dropped] == [1]
    assert "TRL drops the row" in dropped[0]["message"]
    assert any("tokens per row (chat template)" in note for note in report["notes"])


@pytest.mark.parametrize(
    ("profile", "rows", "rule"),
    [
        ("dpo", [{"prompt": "sky " * 80, "chosen": " blue", "rejected": " green"}], "L002"),
        (
            "reward",
            [{"chosen": "The sky is " + "blue " * 80, "rejected": "The sky is green"}],
            "L002",
        ),
        ("dpo", [{"prompt": "Sky?", "chosen": " blue" * 80, "rejected": " green"}], "L001"),
        ("kto", [{"prompt": "Sky?", "completion": " blue" * 80, "label": True}], "L001"),
    ],
    ids=[
        "dpo-long-prompt-dropped",
        "reward-long-response-dropped",
        "dpo-truncated",
        "kto-truncated",
    ],
)
def test_preference_lengths(profile: str, rows: list[dict], rule: str, tmp_path: Path) -> None:
    checker = LengthChecker(TOKENIZER, 40)
    report = validate_file(_write(tmp_path / "p.jsonl", rows), profile, row_hook=checker)
    assert rule in report.counts, report.findings


def test_strict_template_errors_are_reported(tmp_path: Path) -> None:
    template = tmp_path / "strict.jinja"
    template.write_text(
        "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
        "{% endif %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    )
    row = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
        ]
    }
    path = _write(tmp_path / "m.jsonl", [row])
    code, out, _ = run_main(
        "validate", path, "--tokenizer", TOKENIZER / "tokenizer.json", "--chat-template", template
    )
    assert code == 1
    assert "L003" in out and "Conversation roles must alternate" in out


def test_without_template_counts_are_approximate(tmp_path: Path) -> None:
    bare = tmp_path / "tok"
    bare.mkdir()
    (bare / "tokenizer.json").write_bytes((TOKENIZER / "tokenizer.json").read_bytes())
    checker = LengthChecker(bare, 1024)
    assert not checker.exact
    assert checker.render([{"role": "user", "content": "hi"}]) == "user\nhi"


def test_bad_tokenizer_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "tokenizer.json"
    broken.write_text("{not json")
    code, _, err = run_main("validate", GOOD / "sft" / "text.jsonl", "--tokenizer", broken)
    assert code == 2 and err.startswith("Error: ") and "cannot load the tokenizer" in err


def test_percentiles_nearest_rank() -> None:
    assert percentiles(list(range(1, 101))) == (51, 91, 100, 100)
    assert percentiles([7]) == (7, 7, 7, 7)


def test_sharegpt_rows_are_counted_after_role_mapping() -> None:
    checker = LengthChecker(TOKENIZER, 1024)
    sharegpt = validate_file(GOOD / "sft" / "sharegpt.jsonl", "sft", row_hook=checker)
    messages_checker = LengthChecker(TOKENIZER, 1024)
    rows = [json.loads(line) for line in (GOOD / "sft" / "sharegpt.jsonl").read_text().splitlines()]
    expected = [
        messages_checker.count(
            messages_checker.render(
                [
                    {
                        "role": {"human": "user", "gpt": "assistant"}[t["from"]],
                        "content": t["value"],
                    }
                    for t in row["conversations"]
                ]
            )
        )
        for row in rows
    ]
    assert sharegpt.rows == len(rows)
    assert list(checker.lengths) == expected
    assert all(length > 10 for length in expected)
