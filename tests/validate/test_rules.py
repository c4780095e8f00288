"""Every rule fires on the fixture built to break it, and never on the good fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.validate import RULES, check_records
from dataprep.validate.reader import validate_file
from dataprep.validate.rows import trl_prompt_split
from tests.conftest import FIXTURES, run_main

VALIDATE = FIXTURES / "validate"
GOOD = sorted((VALIDATE / "good").rglob("*.jsonl"))
BAD = sorted((VALIDATE / "bad").rglob("*.jsonl"))


def _profile(path: Path) -> str:
    return path.parent.name


def _json_report(path: Path, *args: str) -> tuple[int, dict]:
    code, out, err = run_main(
        "validate", path, "--format", _profile(path), "--output-format", "json", *args
    )
    assert err == ""
    return code, json.loads(out)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_good_fixtures_have_no_errors(path: Path) -> None:
    code, report = _json_report(path)
    assert code == 0
    assert report["summary"]["error"] == 0, report["findings"]
    assert report["rows"] == 6
    # Small fixtures: the few-rows advice (info); a prompt ending with a system turn (warning).
    assert set(report["summary"]["by_rule"]) <= {"F007", "S002", "M008"}


@pytest.mark.parametrize("path", BAD, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bad_fixture_reports_its_rule(path: Path) -> None:
    rule = path.stem.split("-")[0]
    code, report = _json_report(path)
    assert rule in report["summary"]["by_rule"], report["findings"]
    finding = next(f for f in report["findings"] if f["rule"] == rule)
    assert finding["severity"] == RULES[rule].severity
    assert finding["file"] == str(path)
    if rule not in ("F007", "F009", "K002", "K003"):
        assert finding["line"] is not None and finding["line"] >= 1
    expected_exit = 1 if RULES[rule].severity == "error" else 0
    assert code == expected_exit
    strict_code, _ = _json_report(path, "--strict")
    assert strict_code == (0 if RULES[rule].severity == "info" else 1)


def test_every_rule_has_a_fixture_or_a_test() -> None:
    covered = {path.stem.split("-")[0] for path in BAD}
    # Rules exercised by dedicated tests instead of a fixture file.
    covered |= {"D002", "F007", "F008", "K003", "L001", "L002", "L003", "L004", "P006"}
    # LLaMA-Factory and Axolotl rules: tests/validate/test_llamafactory.py, test_axolotl.py.
    covered |= {rule for rule in RULES if rule[0] in "XY"}
    assert set(RULES) <= covered, sorted(set(RULES) - covered)


@pytest.mark.parametrize(
    ("rows", "profile", "rule", "pointer"),
    [
        (
            [
                {
                    "messages": [
                        {"role": "user", "content": "q"},
                        {"role": "assistant", "content": ""},
                    ]
                }
            ],
            "sft",
            "M005",
            "/messages/1/content",
        ),
        (
            [{"messages": [{"role": "user", "content": "q"}, {"role": "gpt", "content": "a"}]}],
            "sft",
            "M003",
            "/messages/1/role",
        ),
        ([{"messages": "hello"}], "sft", "M001", "/messages"),
        ([{"messages": ["hello"]}], "sft", "M002", "/messages/0"),
        (
            [{"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "a"}]}],
            "sft",
            "M005",
            "/messages/0/content",
        ),
        ([{"text": 5}], "sft", "F008", "/text"),
        (
            [
                {
                    "messages": [
                        {"role": "user", "content": "q"},
                        {"role": "assistant", "content": "a"},
                    ],
                    "tools": "[{",
                }
            ],
            "sft",
            "F008",
            "/tools",
        ),
        (
            [
                {
                    "messages": [
                        {"role": "user", "content": "q"},
                        {"role": "assistant", "content": "a"},
                    ],
                    "tools": '{"name": "f"}',
                }
            ],
            "sft",
            "F008",
            "/tools",
        ),
        (
            [
                {
                    "prompt": "p",
                    "chosen": [
                        {"role": "user", "content": "p"},
                        {"role": "assistant", "content": "a"},
                    ],
                    "rejected": [{"role": "assistant", "content": "b"}],
                }
            ],
            "dpo",
            "F005",
            "",
        ),
        (
            [
                {
                    "prompt": [{"role": "user", "content": "q"}],
                    "chosen": [{"role": "user", "content": "x"}],
                    "rejected": [{"role": "assistant", "content": "b"}],
                }
            ],
            "dpo",
            "P006",
            "/chosen/0/role",
        ),
        ([{"prompt": "q", "completion": "a", "label": 2}], "kto", "K001", "/label"),
        ([{"prompt": "q", "trainer_state": 1}], "grpo", "G001", "/trainer_state"),
        ([{"prompt": "q", "completion_ids": [1]}], "grpo", "G002", "/completion_ids"),
        (
            [
                {
                    "messages": [
                        {"role": "assistant", "content": None, "tool_calls": []},
                        {"role": "user", "content": "x"},
                    ]
                }
            ],
            "sft",
            "M005",
            "/messages/0/content",
        ),
    ],
    ids=[
        "empty-content",
        "gpt-role",
        "messages-string",
        "message-string",
        "content-number",
        "text-number",
        "tools-bad-json",
        "tools-not-list",
        "mixed-kinds",
        "user-in-response",
        "label-int",
        "trainer-state",
        "completion-ids",
        "null-content",
    ],
)
def test_check_records_rule_and_pointer(
    rows: list[dict], profile: str, rule: str, pointer: str
) -> None:
    findings = check_records(rows, profile)
    assert any(f.rule == rule and f.pointer == pointer and f.line == 1 for f in findings), findings


def test_check_records_contract() -> None:
    findings = check_records(
        [
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
            {"text": "a plain row"},
        ],
        "sft",
    )
    assert [(f.rule, f.line) for f in findings] == [("D001", 2), ("F003", 3)]
    for finding in findings:
        assert finding.severity in ("error", "warning", "info")
        assert isinstance(finding.message, str) and finding.message


def test_check_records_tool_call_turns_are_fine() -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {"name": "weather", "arguments": {"city": "Paris"}},
                        }
                    ],
                },
                {"role": "tool", "content": "18C"},
                {"role": "assistant", "content": "It is 18C."},
            ],
            "tools": [{"type": "function", "function": {"name": "weather", "parameters": {}}}],
        }
    ]
    assert check_records(rows, "sft") == []


def test_auto_detects_profile_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "prefs.jsonl"
    path.write_text(json.dumps({"prompt": "Q?", "chosen": " Yes.", "rejected": " No."}) + "\n")
    code, out, _ = run_main("validate", path)
    assert code == 0
    assert "profile dpo (detected)" in out
    assert "preference with explicit prompt" in out


def test_eval_overlap(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    evaluation = tmp_path / "eval.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Question {i}?"},
                {"role": "assistant", "content": "A."},
            ]
        }
        for i in range(3)
    ]
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluation.write_text(json.dumps({"prompt": "  question 1? ", "completion": "x"}) + "\n")
    report = validate_file(train, "sft", against=evaluation)
    overlaps = [f for f in report.findings if f.rule == "D002"]
    assert [f.line for f in overlaps] == [2]
    code, _, err = run_main("validate", train, "--against", tmp_path / "missing.jsonl")
    assert code == 2 and "no such file" in err


def test_few_rows_advice_threshold(tmp_path: Path) -> None:
    row = {"prompt": "q", "completion": "a"}
    for count, expected in ((49, True), (50, False)):
        path = tmp_path / f"{count}.jsonl"
        path.write_text("".join(json.dumps({**row, "id": i}) + "\n" for i in range(count)))
        report = validate_file(path, "sft")
        assert ("F007" in report.counts) is expected
        if expected:
            assert "few-shot prompting" in report.findings[-1].message


def test_kto_balance_note() -> None:
    from dataprep.validate import Validator

    validator = Validator("kto")
    for index in range(10):
        validator.add_row({"prompt": f"q{index}", "completion": "a", "label": index < 2}, index + 1)
    report = validator.finish()
    assert report.label_counts == {"desirable": 2, "undesirable": 8}
    assert "K003" in report.counts


@pytest.mark.parametrize(
    ("chosen", "rejected", "expected"),
    [
        ("The sky is blue.", "The sky is green.", (10, True)),
        ("Sure", "No", (0, True)),
        ("Same.", "Same. More", (4, False)),
        ([1, 2, 3], [1, 2, 4], (2, True)),
    ],
    ids=["space-backup", "no-prefix", "prefix", "lists"],
)
def test_trl_prompt_split(chosen: object, rejected: object, expected: tuple[int, bool]) -> None:
    assert trl_prompt_split(chosen, rejected) == expected


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=20
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_text, _text), min_size=1, max_size=6))
def test_alternating_conversations_are_clean(turns: list[tuple[str, str]]) -> None:
    messages = []
    for question, answer in turns:
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    assert check_records([{"messages": messages}], "sft") == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["role", "content", "from", "value", "x"]), children, max_size=3
        )
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "text",
                    "prompt",
                    "completion",
                    "chosen",
                    "rejected",
                    "label",
                    "conversations",
                    "prompts",
                ]
            ),
            _json,
            max_size=4,
        ),
        max_size=4,
    ),
    st.sampled_from(["auto", "sft", "dpo", "reward", "grpo", "kto"]),
)
def test_any_json_rows_give_findings_not_crashes(rows: list[dict], profile: str) -> None:
    findings = check_records(rows, profile)
    for finding in findings:
        assert finding.rule in RULES
        assert finding.line is None or 1 <= finding.line <= len(rows)
        assert finding.pointer == "" or finding.pointer.startswith("/")
    # Order of rows never changes which rows have per-row errors (except drift/duplicates).
    assert check_records(rows, profile) == findings


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("hummany", "'hummany'"),
        ("Colin", "(not shown: it may be a name)"),
        ("maria garcia", "(not shown"),
        (7, "of type a number"),
    ],
    ids=["role-like", "capitalized-name", "full-name", "number"],
)
def test_unknown_roles_that_may_be_names_are_not_echoed(role: object, shown: str) -> None:
    rows = [{"messages": [{"role": role, "content": "q"}, {"role": "assistant", "content": "a"}]}]
    (finding,) = [f for f in check_records(rows, "sft") if f.rule == "M003"]
    assert f"unknown role {shown}" in finding.message
    if isinstance(role, str) and shown.startswith("("):
        assert role not in finding.message


def test_validate_file_restores_garbage_collection(tmp_path: Path) -> None:
    import gc

    from dataprep.errors import InputError

    assert gc.isenabled()
    validate_file(VALIDATE / "bad" / "sft" / "J001-invalid-json.jsonl", "sft")
    assert gc.isenabled()
    with pytest.raises(InputError):
        validate_file(tmp_path / "missing.jsonl", "sft")
    assert gc.isenabled()


def test_duplicate_on_a_last_line_without_newline(tmp_path: Path) -> None:
    row = json.dumps({"prompt": "q", "completion": "a"})
    path = tmp_path / "d.jsonl"
    path.write_text(f"{row}\n{row}")
    report = validate_file(path, "sft")
    assert [(f.rule, f.line) for f in report.findings if f.rule == "D001"] == [("D001", 2)]


def test_public_api() -> None:
    import dataprep.validate as api

    assert sorted(api.__all__) == sorted(
        [
            "PROFILES",
            "RULES",
            "Finding",
            "Report",
            "Rule",
            "Severity",
            "Validator",
            "check_records",
            "validate_file",
        ]
    )
    for name in api.__all__:
        assert getattr(api, name) is not None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                ["messages", "text", "prompt", "completion", "chosen", "rejected", "label"]
            ),
            _json,
            max_size=3,
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["auto", "sft", "dpo", "kto", "grpo"]),
)
def test_file_and_in_memory_validation_agree(rows: list[dict], profile: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        from_file = validate_file(path, profile).findings
    dataset_level = {"F007", "F009", "K002", "K003"}
    as_tuples = [
        (f.rule, f.line, f.pointer, f.message) for f in from_file if f.rule not in dataset_level
    ]
    assert as_tuples == [
        (f.rule, f.line, f.pointer, f.message) for f in check_records(rows, profile)
    ]


def test_utf16_file_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes((json.dumps({"text": "hello"}) + "\n").encode("utf-16"))
    report = validate_file(path, "sft")
    assert [(f.rule, f.line) for f in report.findings] == [("J003", 1)]
    assert "UTF-16" in report.findings[0].message
