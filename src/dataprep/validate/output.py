"""Render a validation report: grouped human text, JSON, GitHub annotations, SARIF 2.1.0.

Human text is for people and not a stable surface; ``json`` and ``sarif`` are (fields may be
added, never renamed). GitHub shows at most 10 annotations per severity per step, so the
``github`` format ranks findings, emits that many and points to the step summary for the rest.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from dataprep.validate.engine import Report
from dataprep.validate.findings import RULES, SEVERITY_ORDER, Finding

__all__ = ["FORMATS", "render", "step_summary"]

FORMATS = ("human", "json", "github", "sarif")
#: GitHub's per-step cap for each annotation level (actions/toolkit docs/problem-matchers.md).
GITHUB_CAP = 10
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render(
    reports: list[Report], output_format: str, *, strict: bool = False, per_rule: int = 5
) -> str:
    """The reports in ``output_format`` (one of ``FORMATS``).

    ``json`` is one object for one file and an array of them for several files.
    """
    if output_format == "json":
        objects = [as_json(report, strict) for report in reports]
        value: Any = objects[0] if len(objects) == 1 else objects
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if output_format == "sarif":
        return json.dumps(as_sarif(reports), indent=2, ensure_ascii=False) + "\n"
    if output_format == "github":
        return "".join(render_github(report) for report in reports)
    return "\n".join(render_human(report, strict=strict, per_rule=per_rule) for report in reports)


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.line or 0, f.rule))


def _location(report: Report, finding: Finding) -> str:
    path = report.path or "<records>"
    return f"{path}:{finding.line}" if finding.line is not None else path


def _verdict(report: Report, strict: bool) -> str:
    code = report.exit_code(strict)
    return "passed" if code == 0 else "FAILED"


def render_human(report: Report, *, strict: bool = False, per_rule: int = 5) -> str:
    """Findings grouped by rule (errors first), ``per_rule`` shown each, then the summary."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.rule].append(finding)
    lines = []
    order = sorted(report.counts, key=lambda r: (SEVERITY_ORDER[RULES[r].severity], r))
    for rule_id in order:
        rule = RULES[rule_id]
        count = report.counts[rule_id]
        lines.append(f"{rule.severity} {rule_id} {rule.title} ({count}): {rule.why}")
        shown = groups.get(rule_id, [])[:per_rule]
        for finding in shown:
            pointer = f" {finding.pointer}" if finding.pointer else ""
            lines.append(f"  {_location(report, finding)}{pointer}: {finding.message}")
        if count > len(shown):
            lines.append(f"  ... and {count - len(shown)} more")
    if report.mapping is not None:
        lines.extend(_fix_lines(report))
    lines.extend(f"note: {note}" for note in report.notes)
    if report.estimate is not None:
        lines.extend(report.estimate.lines())
    if report.counts:
        lines.append(
            "by rule: " + ", ".join(f"{rule_id} {report.counts[rule_id]}" for rule_id in order)
        )
    lines.append(_summary_line(report, strict))
    return "\n".join(lines) + "\n"


def _fix_lines(report: Report) -> list[str]:
    mapping = report.mapping
    assert mapping is not None
    path = report.path or "data.jsonl"
    out = str(Path(path).with_suffix(f".{mapping.target}.jsonl"))
    snippet = "\n".join(
        "    " + line if line else "" for line in mapping.snippet(path).splitlines()
    )
    return [
        "",
        f"fix: the rows need mapping ({mapping.name} -> {mapping.target}). Write the mapped file with:",
        f"    dataprep convert {path} --to {mapping.target} --out {out}",
        "  or map it in Python:",
        snippet,
        "",
    ]


def _summary_line(report: Report, strict: bool) -> str:
    totals = report.severity_counts()
    detected = report.format_label
    label = ""
    if report.label_counts:
        label = f", labels {report.label_counts['desirable']} desirable / {report.label_counts['undesirable']} undesirable"
    return (
        f"{report.path or '<records>'}: {report.rows} rows, format {detected}, profile {_profile(report)}{label}; "
        f"{totals['error']} errors, {totals['warning']} warnings, {totals['info']} info: "
        f"{_verdict(report, strict)}"
    )


def _profile(report: Report) -> str:
    return (
        f"{report.profile} (detected)"
        if report.requested == "auto" and report.profile != "auto"
        else report.profile
    )


def as_json(report: Report, strict: bool = False) -> dict[str, Any]:
    """The machine-readable report (stable field names; consumers should ignore unknown ones)."""
    kept: dict[str, int] = defaultdict(int)
    for finding in report.findings:
        kept[finding.rule] += 1
    return {
        "version": 1,
        "file": report.path,
        "profile": report.profile,
        "profile_detected": report.requested == "auto",
        "format": report.format,
        "notes": report.notes,
        "rows": report.rows,
        "summary": {
            **report.severity_counts(),
            "by_rule": dict(sorted(report.counts.items())),
        },
        "omitted": {
            rule: count - kept[rule]
            for rule, count in sorted(report.counts.items())
            if count > kept[rule]
        },
        "labels": report.label_counts or None,
        "fix": None
        if report.mapping is None
        else {
            "mapping": report.mapping.name,
            "target": report.mapping.target,
            "command": f"dataprep convert {report.path} --to {report.mapping.target} --out OUT",
            "code": report.mapping.snippet(report.path or "data.jsonl"),
        },
        "findings": [{"file": report.path, **f.as_dict()} for f in _ordered(report.findings)],
        "estimate": None if report.estimate is None else report.estimate.as_dict(),
        "exit_code": report.exit_code(strict),
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub workflow commands: at most ``GITHUB_CAP`` annotations per level, then a notice."""
    lines = []
    shown: dict[str, int] = defaultdict(int)
    hidden = 0
    path = _relative(report.path)
    for finding in _ordered(report.findings):
        level = _GITHUB_LEVEL[finding.severity]
        if shown[level] >= GITHUB_CAP:
            hidden += 1
            continue
        shown[level] += 1
        rule = RULES[finding.rule]
        props = f"file={_escape_property(path)},line={finding.line or 1},title={_escape_property(f'{finding.rule} {rule.title}')}"
        pointer = f" at {finding.pointer}" if finding.pointer else ""
        lines.append(f"::{level} {props}::{_escape_data(finding.message + pointer)}")
    hidden += sum(report.counts.values()) - len(report.findings)
    if hidden:
        lines.append(
            f"::notice title=dataprep validate::{hidden} more findings not annotated "
            "(GitHub shows 10 per level); see the step summary or use --output-format sarif"
        )
    totals = report.severity_counts()
    lines.append(
        f"{path}: {report.rows} rows, profile {report.profile}: {totals['error']} errors, "
        f"{totals['warning']} warnings, {totals['info']} info"
    )
    return "\n".join(lines) + "\n"


def step_summary(report: Report, strict: bool = False) -> str:
    """A Markdown table for ``$GITHUB_STEP_SUMMARY``: counts per rule and the first findings."""
    rows = ["| rule | severity | count | title |", "| --- | --- | --- | --- |"]
    for rule_id, count in sorted(report.counts.items()):
        rule = RULES[rule_id]
        rows.append(f"| {rule_id} | {rule.severity} | {count} | {rule.title} |")
    head = f"### dataprep validate: `{report.path}` {_verdict(report, strict)}\n\n"
    head += f"{report.rows} rows, format {report.format_label}, profile {report.profile}.\n\n"
    return head + "\n".join(rows) + "\n"


def _relative(path: str | None) -> str:
    """A repository-relative POSIX path (SARIF and GitHub reject absolute URIs and schemes)."""
    if path is None:
        return "records.jsonl"
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(resolved)).as_posix()


def as_sarif(reports: list[Report]) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: every result has a location (line 1 for file-level)."""
    from dataprep import __version__

    rule_ids = sorted(RULES)
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    results = []
    for report in reports:
        results.extend(_sarif_results(report, index))
    rules = [
        {
            "id": rule_id,
            "name": RULES[rule_id].title,
            "shortDescription": {"text": RULES[rule_id].title.replace("-", " ")},
            "fullDescription": {"text": RULES[rule_id].why},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[rule_id].severity]},
        }
        for rule_id in rule_ids
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "dataprep-validate", "version": __version__, "rules": rules}
                },
                "results": results,
            }
        ],
    }


def _sarif_results(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    uri = _relative(report.path)
    results = []
    for finding in _ordered(report.findings):
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {
                "text": finding.message + (f" (at {finding.pointer})" if finding.pointer else "")
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": finding.line or 1},
                    }
                }
            ],
            "properties": {"pointer": finding.pointer},
        }
        if finding.fingerprint:
            result["partialFingerprints"] = {
                "dataprepRow/v1": f"{finding.rule}:{finding.pointer}:{finding.fingerprint}"
            }
        results.append(result)
    return results
