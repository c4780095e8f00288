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
    """Per-stage counts of a run report (every command writes the runner's shape)."""
    return dict(report.get("stages") or {}) if report else {}


def run_label(report: dict[str, Any]) -> str:
    """``recipe `chat` `` or, for a run that generated rows, ``recipe `bootstrap` (task `sft`,
    model `m`)``."""
    recipe = report.get("recipe") or {}
    label = f"recipe `{recipe.get('name', report.get('command', 'run'))}`"
    for spec in recipe.get("stages", []):
        if spec.get("stage") == "generate" and spec.get("enabled", True):
            params = spec.get("params") or {}
            label += f" (task `{params.get('task')}`, model `{params.get('model')}`)"
    return label


def funnel(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows in and out of each stage, rejects by reason."""
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
