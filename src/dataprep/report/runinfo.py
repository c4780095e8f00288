"""What the page takes from a run's JSON report: the funnel, PII counts, duplicates removed.

The run report holds counts only (never row content), so nothing here can leak a record.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "duplicates_removed",
    "funnel",
    "pii_from_run",
    "reject_bars",
    "run_label",
    "stages_of",
]


def stages_of(report: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-stage counts: a recipe run's ``stages``, or bootstrap's single generation step."""
    if not report:
        return {}
    if "stages" in report:
        return dict(report["stages"])
    if report.get("command") == "bootstrap":
        rejected = report.get("rejected", {})
        return {
            "bootstrap": {
                "rows_in": report.get("requests_issued", 0),
                "rows_out": report.get("accepted", 0),
                "rejected": rejected,
                "rejected_total": sum(rejected.values()),
            }
        }
    return {}


def run_label(report: dict[str, Any]) -> str:
    """``recipe `chat` `` or ``bootstrap task `sft` with model `m` ``."""
    if "recipe" in report:
        return f"recipe `{report['recipe']['name']}`"
    config = report.get("config") or {}
    return f"{report.get('command', 'run')} task `{config.get('task')}` with model `{config.get('model')}`"


def funnel(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows in and out of each stage (for bootstrap: requests in, rows out), rejects by reason."""
    return [
        {
            "stage": key,
            "rows_in": counts.get("rows_in", 0),
            "rows_out": counts.get("rows_out", 0),
            "rejected": counts.get("rejected", {}),
        }
        for key, counts in stages_of(report).items()
    ]


def reject_bars(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """Rejects by ``stage.reason`` as a bar chart."""
    reasons = (report or {}).get("rejects_by_reason") or {
        f"{key}.{reason}": n
        for key, counts in stages_of(report).items()
        for reason, n in counts.get("rejected", {}).items()
    }
    if not reasons:
        return None
    ordered = sorted(reasons.items(), key=lambda kv: -kv[1])
    return bars("rejects_by_reason", "Rejected rows by reason", ordered)


def bars(chart_id: str, title: str, items: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "id": chart_id,
        "title": title,
        "kind": "bars",
        "labels": [label for label, _ in items],
        "series": [{"label": "count", "counts": [count for _, count in items]}],
    }


def pii_from_run(report: dict[str, Any] | None) -> dict[str, int]:
    """PII findings per entity type as the scrubbing stage counted them."""
    found: dict[str, int] = {}
    for section in ((report or {}).get("details") or {}).values():
        if isinstance(section, dict) and isinstance(section.get("findings_by_entity"), dict):
            for entity, n in section["findings_by_entity"].items():
                found[entity] = found.get(entity, 0) + int(n)
    return found


def duplicates_removed(report: dict[str, Any] | None) -> int:
    """Rows dropped by every dedupe stage (exact and near duplicates)."""
    total = 0
    for key, counts in stages_of(report).items():
        if "dedupe" in key or "dedup" in key:
            total += int(counts.get("rejected_total", 0))
    return total
