"""A Hugging Face dataset card (README.md with YAML metadata) for a dataset folder.

The card is generated from the same data as the HTML page plus the run report. An existing
card is merged, never overwritten: its metadata keys and its own sections stay; only the block
between the dataprep markers and the facts dataprep owns (``configs``, ``size_categories``)
are refreshed. A README.md that is not a dataset card (no YAML header) is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dataprep.io import atomic_write
from dataprep.report import runinfo
from dataprep.report.dataset import find_run_report

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = ["merge_card", "render_card", "write_card", "write_run_card"]

BEGIN = (
    "<!-- dataprep:begin (generated; rerunning dataprep rewrites this block, edit outside it) -->"
)
END = "<!-- dataprep:end -->"
_BLOCK = re.compile(r"<!-- dataprep:begin[^>]*-->.*?<!-- dataprep:end -->", re.DOTALL)
_FRONT = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n?", re.DOTALL)
#: Keys dataprep recomputes on every run; every other key is the card owner's once written.
_OWNED = ("configs", "size_categories")

_CONSENT = """## Consent

_To fill in before publishing:_ state who appears in this data (chat participants, speakers),
how each of them agreed to its use for training and publication, and how a person can ask to be
removed. Do not publish the dataset until this section is complete.

## License

_To fill in:_ replace `license: other` in the metadata with the dataset's license identifier.
"""


def size_category(rows: int) -> str:
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")]
    bounds += [(1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
    for limit, label in bounds:
        if rows < limit:
            return label
    return "100M<n<1B"


def metadata(data: dict[str, Any], files: dict[str, str | list[str]]) -> dict[str, Any]:
    """YAML metadata from the page data; ``files`` maps split name to a path in the folder
    (or the paths of its shards)."""
    voice = data["kind"] == "voice"
    overview = data["overview"]
    rows = overview["clips"] if voice else overview["rows_total"]
    languages = [code for code in overview.get("languages", {}) if code and code != "None"]
    return {
        "pretty_name": data["title"],
        "license": "other",
        "license_name": "to-be-filled-in",
        "language": languages or ["en"],
        "task_categories": ["text-to-speech"] if voice else ["text-generation"],
        "size_categories": [size_category(rows)],
        "tags": ["dataprep", "voice" if voice else "fine-tuning"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": path} for split, path in files.items()],
            }
        ],
    }


def _stage_lines(run_report: dict[str, Any] | None) -> list[str]:
    if not run_report:
        return ["No run report was found beside the data; the stages applied are unknown."]
    seed = run_report.get("seed", (run_report.get("config") or {}).get("seed"))
    lines = [
        f"Made by {runinfo.run_label(run_report)}, seed {seed}, "
        f"dataprep {run_report.get('versions', {}).get('dataprep')}, run started {run_report.get('started')}.",
        "",
        "| stage | rows in | rows out | rejected (reason: count) |",
        "|---|---|---|---|",
    ]
    for key, counts in runinfo.stages_of(run_report).items():
        reasons = ", ".join(f"{r}: {n}" for r, n in counts.get("rejected", {}).items()) or "–"
        lines.append(f"| {key} | {counts.get('rows_in')} | {counts.get('rows_out')} | {reasons} |")
    return lines


def _pii_lines(data: dict[str, Any], run_report: dict[str, Any] | None) -> list[str]:
    stages = ((run_report or {}).get("recipe") or {}).get("stages", [])
    scrub = next(
        (s for s in stages if "pii" in s.get("stage", "") and s.get("enabled", True)), None
    )
    counts = data["overview"].get("pii_by_type") or {}
    if scrub is None:
        lines = [
            "No PII scrubbing stage ran in the run that wrote this data (or no run report was found)."
        ]
        lines.append("Review the data for personal information before publishing it.")
    else:
        params = scrub.get("params", {})
        lines = [
            f"Personal data was replaced by stage `{scrub.get('stage')}` with strategy "
            f"`{params.get('strategy', 'placeholder')}`; entity types checked: "
            f"{', '.join(params.get('entities') or []) or 'the defaults'}."
        ]
    if counts:
        lines += ["", "| entity | findings |", "|---|---|"]
        lines += [f"| {entity} | {n} |" for entity, n in counts.items()]
    return lines


def _provenance(data: dict[str, Any], run_report: dict[str, Any] | None) -> list[str]:
    overview = data["overview"]
    if data["kind"] == "voice":
        facts = [
            f"{overview['clips']} clips ({overview['hours']} hours) from {overview['speakers']} speaker(s), "
            f"lists in {', '.join(overview['formats']) or 'no'} format(s)."
        ]
    else:
        splits = ", ".join(f"{s['name']}: {s['rows']}" for s in overview["splits"])
        formats = ", ".join(overview["formats"]) or "unknown"
        facts = [f"{overview['rows_total']} rows ({splits}); format {formats}."]
        if overview.get("sources_total"):
            facts.append(
                f"Rows trace back to {overview['sources_total']} source file(s) (see the sources sidecars)."
            )
    if run_report:
        facts.append(f"Built by dataprep from {len(run_report.get('inputs', []))} input path(s).")
    return facts


def render_block(data: dict[str, Any], run_report: dict[str, Any] | None) -> str:
    parts = [
        BEGIN,
        "## Provenance",
        "",
        *_provenance(data, run_report),
        "",
        "## Stages and filters",
        "",
        *_stage_lines(run_report),
        "",
        "## PII policy and counts",
        "",
        *_pii_lines(data, run_report),
        "",
        END,
    ]
    return "\n".join(parts)


def _dump(meta: dict[str, Any]) -> str:
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()


def render_card(meta: dict[str, Any], block: str, title: str) -> str:
    return f"---\n{_dump(meta)}\n---\n\n# {title}\n\n{block}\n\n{_CONSENT}"


def merge_card(existing: str, meta: dict[str, Any], block: str) -> str | None:
    """``existing`` with refreshed metadata and block; None when it is not a dataset card."""
    front = _FRONT.match(existing)
    if front is None:
        return None
    old = yaml.safe_load(front.group(1)) or {}
    if not isinstance(old, dict):
        return None
    merged = dict(old)
    for key, value in meta.items():
        if key in _OWNED or key not in merged:
            merged[key] = value
    body = existing[front.end() :]
    body = (
        _BLOCK.sub(lambda _: block, body)
        if _BLOCK.search(body)
        else body.rstrip() + "\n\n" + block + "\n"
    )
    return f"---\n{_dump(merged)}\n---\n{body if body.startswith(chr(10)) else chr(10) + body}"


def card_text(
    folder: Path, data: dict[str, Any], run_report: dict[str, Any] | None, existing: str | None
) -> str | None:
    meta = metadata(data, _data_files(folder, data))
    block = render_block(data, run_report)
    if existing is None:
        return render_card(meta, block, data["title"])
    return merge_card(existing, meta, block)


def _data_files(folder: Path, data: dict[str, Any]) -> dict[str, str | list[str]]:
    if data["kind"] == "voice":
        # NeMo's manifest (train, and validation when written) loads as JSON lines.
        manifests = data["overview"]["lists"].get("nemo") or []
        files = {("validation" if "_val" in m else "train"): m for m in manifests}
        return files or {"train": "clips.jsonl"}
    # A split written as shards lists them all (a card's data_files path may be a list).
    return {
        s["name"]: s["files"] if len(s.get("files", [])) > 1 else s["file"]
        for s in data["overview"]["splits"]
    }


def write_card(path: Path) -> Path:
    """Write or merge ``README.md`` in the dataset folder of ``path`` (``dataprep report --card``)."""
    from dataprep.report import page_data

    folder = path if path.is_dir() else path.parent
    run_report = find_run_report(path)
    data = page_data([path], folder / "report.html", run_report)
    readme = folder / "README.md"
    existing = readme.read_text(encoding="utf-8") if readme.is_file() else None
    text = card_text(folder, data, run_report, existing)
    if text is None:
        from dataprep.errors import OutputError

        raise OutputError(
            f"{readme}: exists and is not a dataset card (no YAML header)",
            hint="Move it away, or add a --- YAML --- header to make it one",
        )
    with atomic_write(readme) as handle:
        handle.write(text)
    return readme


def write_run_card(ctx: RunContext, data: dict[str, Any], report: dict[str, Any]) -> Path | None:
    """Stage README.md with the run's outputs; warns and skips when a non-card README is there."""
    assert ctx.output is not None
    folder = ctx.output if ctx.output.is_dir() else ctx.output.parent
    readme = folder / "README.md"
    existing = readme.read_text(encoding="utf-8") if readme.is_file() else None
    text = card_text(folder, data, report, existing)
    if text is None:
        ctx.warn(f"{readme} is not a dataset card (no YAML header); the card was not written")
        return None
    with ctx.outputs.open(readme) as handle:
        handle.write(text)
    return readme
