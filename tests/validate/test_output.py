"""Output formats: JSON fields, GitHub annotations (escaped, capped), SARIF locations, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from dataprep.validate.engine import Report
from dataprep.validate.findings import Finding
from dataprep.validate.output import GITHUB_CAP, as_sarif, render, render_github, step_summary
from tests.conftest import FIXTURES, REPO, run_cli, run_main

BAD = FIXTURES / "validate" / "bad"


def _report_with(findings: list[Finding], path: str = "data/train.jsonl") -> Report:
    report = Report(profile="sft", rows=len(findings), path=path)
    for finding in findings:
        report.counts[finding.rule] += 1
        report.findings.append(finding)
    return report


def test_exit_codes(tmp_path: Path) -> None:
    clean = FIXTURES / "validate" / "good" / "sft" / "messages.jsonl"
    assert run_main("validate", clean)[0] == 0
    # Few rows is advice (info), so --strict passes a small clean file.
    assert run_main("validate", clean, "--strict")[0] == 0
    assert run_main("validate", BAD / "sft" / "M007-not-alternating.jsonl", "--strict")[0] == 1
    assert run_main("validate", BAD / "sft" / "M006-no-assistant.jsonl")[0] == 1
    code, out, err = run_main("validate", tmp_path / "nope.jsonl")
    assert code == 2 and out == "" and err.startswith("Error: ") and err.count("\n") == 1
    code, _, err = run_main("validate", clean, "--format", "ppo")
    assert code == 2 and "ppo" in err
    code, _, err = run_main("validate", clean, "--max-length", "10")
    assert code == 2 and "--tokenizer" in err


def test_human_output_is_grouped_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    row = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": ""}]}
    path.write_text("".join(json.dumps({**row, "id": i}) + "\n" for i in range(12)))
    code, out, _ = run_main("validate", path, "--max-per-rule", "3")
    assert code == 1
    assert "error M005 empty-content (12)" in out
    assert out.count("/messages/1/content: content is empty") == 3
    assert "... and 9 more" in out
    assert out.index("error M005") < out.index("info F007")
    assert out.strip().splitlines()[-1].endswith("12 errors, 0 warnings, 1 info: FAILED")


def test_json_output_fields() -> None:
    code, out, _ = run_main(
        "validate", BAD / "sft" / "M003-unknown-role.jsonl", "--output-format", "json"
    )
    report = json.loads(out)
    assert code == report["exit_code"] == 1
    assert report["profile"] == "sft" and report["profile_detected"] is True
    assert report["format"] == "messages"
    finding = report["findings"][0]
    assert finding == {
        "file": str(BAD / "sft" / "M003-unknown-role.jsonl"),
        "rule": "M003",
        "title": "unknown-role",
        "severity": "error",
        "line": 2,
        "pointer": "/messages/0/role",
        "message": "unknown role 'hummany' (valid: assistant, developer, function, system, tool, user)",
        "fingerprint": finding["fingerprint"],
    }
    assert len(finding["fingerprint"]) >= 8


def test_json_output_of_several_files_is_an_array() -> None:
    files = [BAD / "sft" / "M003-unknown-role.jsonl", BAD / "sft" / "M006-no-assistant.jsonl"]
    code, out, _ = run_main("validate", *files, "--output-format", "json")
    assert code == 1
    assert [r["file"] for r in json.loads(out)] == [str(f) for f in files]


def test_github_escaping() -> None:
    finding = Finding("M005", "error", 3, "/messages/0/content", "50% done,\r\nnext: line")
    text = render_github(_report_with([finding], path="data/a,b:c.jsonl"))
    first = text.splitlines()[0]
    assert first == (
        "::error file=data/a%2Cb%3Ac.jsonl,line=3,title=M005 empty-content::"
        "50%25 done,%0D%0Anext: line at /messages/0/content"
    )


def test_github_caps_annotations_per_level() -> None:
    errors = [Finding("M005", "error", n, "", "e") for n in range(1, 16)]
    warnings = [Finding("D001", "warning", n, "", "w") for n in range(1, 4)]
    text = render_github(_report_with(errors + warnings))
    lines = text.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == GITHUB_CAP
    assert sum(line.startswith("::warning ") for line in lines) == 3
    assert any(line.startswith("::notice ") and "5 more findings" in line for line in lines)


def test_github_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_main(
        "validate", BAD / "sft" / "M006-no-assistant.jsonl", "--output-format", "github"
    )
    assert code == 1 and "::error " in out
    text = summary.read_text()
    assert "| M006 | error | 1 | no-assistant |" in text
    assert text.startswith("### dataprep validate: ") and "FAILED" in text.splitlines()[0]
    clean = step_summary(_report_with([]), strict=False)
    assert "passed" in clean.splitlines()[0] and clean.count("\n| ") == 2  # the table head only


def test_sarif_every_result_has_a_location() -> None:
    files = [
        BAD / "sft" / "F009-empty-file.jsonl",
        BAD / "kto" / "K002-one-label-class.jsonl",
        BAD / "sft" / "M001-empty-messages.jsonl",
    ]
    code, out, _ = run_main("validate", *files, "--output-format", "sarif")
    sarif = json.loads(out)
    assert code == 1
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert run["results"]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and uri.endswith(".jsonl")
        assert location["physicalLocation"]["region"]["startLine"] >= 1
    row_results = [r for r in run["results"] if r["ruleId"] == "M001"]
    assert row_results[0]["partialFingerprints"]["dataprepRow/v1"].startswith("M001:/messages:")


def test_sarif_fingerprints_are_stable_across_line_shifts(tmp_path: Path) -> None:
    bad = {"messages": [{"role": "user", "content": "q"}]}
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    one.write_text(json.dumps(bad) + "\n")
    two.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")

    def prints(path: Path) -> set[str]:
        from dataprep.validate.reader import validate_file

        results = as_sarif([validate_file(path, "sft")])["runs"][0]["results"]
        return {
            r["partialFingerprints"]["dataprepRow/v1"]
            for r in results
            if "partialFingerprints" in r
        }

    assert prints(one) and prints(one) == prints(two)


def test_output_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = run_main(
        "validate",
        BAD / "sft" / "M006-no-assistant.jsonl",
        "--output-format",
        "sarif",
        "--output",
        target,
    )
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["runs"][0]["results"]


def test_render_human_for_records_without_path() -> None:
    text = render([_report_with([Finding("D001", "warning", 2, "", "dup")], path=None)], "human")  # type: ignore[arg-type]
    assert "<records>:2: dup" in text


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "dataprep-validate"
    assert hook["entry"].split()[:2] == ["dataprep", "validate"]
    assert hook["language"] == "python"
    # The entry takes file names as pre-commit passes them.
    result = run_cli(
        *hook["entry"].split()[1:],
        FIXTURES / "validate" / "good" / "sft" / "text.jsonl",
        FIXTURES / "validate" / "good" / "sft" / "messages.jsonl",
    )
    assert result.exit_code == 0, result.output


def test_validate_help_lists_every_option() -> None:
    result = run_cli("validate", "--help")
    for option in (
        "--format",
        "--output-format",
        "--strict",
        "--against",
        "--tokenizer",
        "--max-length",
        "--chat-template",
        "--output",
    ):
        assert option in result.output


def test_validate_imports_no_heavy_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from dataprep.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(FIXTURES / 'validate' / 'good' / 'sft' / 'text.jsonl')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('datasets', 'trl', 'transformers', 'tokenizers', 'torch', 'jinja2') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_docs_cover_every_rule_and_option() -> None:
    from dataprep.validate import RULES

    docs = (REPO / "docs" / "validate.md").read_text()
    missing = [rule for rule in RULES if f"| {rule} |" not in docs]
    assert not missing, f"document these rules in docs/validate.md: {missing}"
    for command in ("validate", "convert", "schemas"):
        result = run_cli(command, "--help")
        options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.output)) - {"--help"}
        undocumented = sorted(option for option in options if f"`{option}`" not in docs)
        assert not undocumented, f"document these {command} options: {undocumented}"


def test_unwritable_step_summary_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    code, _, err = run_main(
        "validate", BAD / "sft" / "M006-no-assistant.jsonl", "--output-format", "github"
    )
    assert code == 2 and err.startswith("Error: ") and "step summary" in err
