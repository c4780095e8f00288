"""A ``dataprep voice`` output folder as the report and ``apply-edits`` see it.

``VoiceFolder`` is the one place that knows where the clip table and the list files live, so a
change of layout is a one-place fix for the page and for ``apply-edits``.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprep.errors import InputError
from dataprep.io import read_jsonl
from dataprep.report import runinfo
from dataprep.report.summaries import Values, histogram
from dataprep.voice.list_formats import LIST_FORMATS

__all__ = ["VoiceFolder", "is_voice_folder", "read_objects", "voice_page_data"]

CLIP_TABLE = "clips.jsonl"
#: Up to 50 rejected clips per reason, kept by the run so later pages can still play them.
REJECTED_TABLE = "rejected_clips.jsonl"
_REJECTED_FIELDS = (
    *("stage", "reason", "source", "relpath", "start", "end", "text", "duration"),
    *("avg_logprob", "no_speech_prob", "compression_ratio", "snr_db", "snr"),
)
#: Reason recorded in clips.jsonl for a clip marked bad in review.
EXCLUDED = "marked_bad_in_review"
#: The score columns the page plots and shows, with the names older runs used.
_SNR_COLUMNS = ("snr_db", "snr")
#: Where each format's list files are, in the flat layout and in one folder per format
#: (``gpt_sovits/``, ``ljspeech/``, ``nemo/``, ``audiofolder/<split>/``), validation lists included.
_FORMAT_FILES = {name: fmt.files for name, fmt in LIST_FORMATS.items()}


def _matches(relative: str, pattern: str) -> bool:
    """``relative`` (posix) matches ``pattern`` part for part (``*`` never crosses ``/``)."""
    parts, wanted = relative.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True)
    )


def read_objects(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (a ``--rejects`` file, the rejected clips table)."""
    return [line.value for line in read_jsonl(path) if isinstance(line.value, dict)]


def is_voice_folder(path: Path) -> bool:
    return path.is_dir() and (path / CLIP_TABLE).is_file()


@dataclass
class VoiceFolder:
    """The output folder of a voice run; ``resolve`` maps a final path to a readable one."""

    root: Path
    resolve: Callable[[Path], Path] = lambda path: path
    #: Files a running pipeline has staged but not yet renamed into place.
    staged: frozenset[Path] = frozenset()

    @property
    def clip_table(self) -> Path:
        return self.root / CLIP_TABLE

    def read_clips(self, missing_ok: bool = False) -> list[dict[str, Any]]:
        """Rows of the clip table; a run that kept no clip has none (``missing_ok``)."""
        path = self.resolve(self.clip_table)
        if missing_ok and not path.exists():
            return []
        if not path.is_file():
            raise InputError(
                f"no {CLIP_TABLE} in the folder",
                path=self.root,
                hint="Pass a dataprep voice output folder",
            )
        rows = []
        for line in read_jsonl(path):
            if line.reason is not None or not isinstance(line.value, dict):
                raise InputError(
                    line.error or "not a JSON object", path=self.clip_table, line=line.number
                )
            rows.append(line.value)
        return rows

    def read_rejected(self) -> list[dict[str, Any]]:
        """The rejected clips the run kept (none when it wrote no table)."""
        path = self.resolve(self.root / REJECTED_TABLE)
        if not path.is_file():
            return []
        return read_objects(path)

    def clip_file(self, row: dict[str, Any]) -> Path:
        """The clip's audio file under this folder's wavs/ (the folder may have moved)."""
        recorded = Path(str(row.get("clip_path") or ""))
        local = self.root / "wavs" / recorded.name
        if local.exists() or not recorded.is_absolute():
            return local
        return recorded

    def clip_id(self, row: dict[str, Any]) -> str:
        """A clip's name in edits files: its path relative to the dataset folder."""
        return relative(self.clip_file(row), self.root)

    def list_files(self) -> dict[str, list[Path]]:
        """The list files present (or staged), by format."""
        root = self.root.absolute()
        candidates = {p.absolute() for p in root.rglob("*") if p.is_file()}
        candidates |= {p for p in self.staged if root in p.parents}
        relative = {p: p.relative_to(root).as_posix() for p in candidates}
        found: dict[str, list[Path]] = {}
        for name, patterns in _FORMAT_FILES.items():
            files = sorted(
                p for p, rel in relative.items() if any(_matches(rel, pat) for pat in patterns)
            )
            if files:
                found[name] = files
        return found

    def list_params(self, run_report: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``write_lists`` parameters of the run that wrote this folder (empty if unknown)."""
        for spec in ((run_report or {}).get("recipe") or {}).get("stages", []):
            if spec.get("stage") == "write_lists":
                return dict(spec.get("params") or {})
        return {}

    def formats(self, run_report: dict[str, Any] | None = None) -> list[str]:
        """The formats the run wrote: from its report, else from the files present."""
        for spec in ((run_report or {}).get("recipe") or {}).get("stages", []):
            if spec.get("stage") == "write_lists" and spec.get("enabled", True):
                return list(spec.get("params", {}).get("formats") or [])
        return list(self.list_files())


def relative(path: Path, start: Path) -> str:
    """A URL-style relative path (the page references audio, it never copies it)."""
    return Path(os.path.relpath(path.absolute(), start.absolute())).as_posix()


def _scores(row: dict[str, Any]) -> dict[str, Any]:
    duration = row.get("duration")
    if duration is None and row.get("end") is not None and row.get("start") is not None:
        duration = float(row["end"]) - float(row["start"])
    text = str(row.get("text") or "")
    snr = next((row[c] for c in _SNR_COLUMNS if row.get(c) is not None), None)
    return {
        "duration": duration,
        "avg_logprob": row.get("avg_logprob"),
        "no_speech_prob": row.get("no_speech_prob"),
        "compression_ratio": row.get("compression_ratio"),
        "snr_db": snr,
        "chars_per_second": round(len(text) / duration, 2) if duration and text else None,
    }


def rejected_table_rows(rows: Iterable[dict[str, Any]]) -> list[str]:
    """JSON lines of the rejected clips a run keeps for its pages (scores and span only)."""
    lines = []
    for row in rows:
        kept = {k: row[k] for k in _REJECTED_FIELDS if row.get(k) is not None}
        if "source" in kept:
            kept["source"] = str(Path(str(kept["source"])).absolute())
        lines.append(json.dumps(kept, ensure_ascii=False, default=str) + "\n")
    return lines


def _clip_entry(folder: VoiceFolder, row: dict[str, Any], page_dir: Path) -> dict[str, Any]:
    audio = folder.clip_file(row)
    return {
        "clip": folder.clip_id(row),
        "src": relative(audio, page_dir),
        "text": str(row.get("text") or ""),
        "speaker": row.get("speaker"),
        "language": row.get("language"),
        **_scores(row),
    }


def _rejected_entry(row: dict[str, Any], page_dir: Path) -> dict[str, Any]:
    source = row.get("source")
    src = None
    if source and row.get("start") is not None and row.get("end") is not None:
        # A media fragment plays only the rejected span of the source recording.
        src = f"{relative(Path(source), page_dir)}#t={float(row['start']):.2f},{float(row['end']):.2f}"
    return {
        "reason": f"{row.get('stage', '')}.{row.get('reason', '')}".strip("."),
        "source_name": Path(str(source or row.get("relpath") or "")).name,
        "start": row.get("start"),
        "end": row.get("end"),
        "src": src,
        "text": row.get("text"),
        **_scores(row),
    }


def _charts(clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = [
        ("duration", "Clip duration (s)"),
        ("avg_logprob", "Whisper average log-probability"),
        ("no_speech_prob", "Whisper no-speech probability"),
        ("snr_db", "Signal-to-noise ratio (dB)"),
        ("chars_per_second", "Characters per second"),
    ]
    charts = []
    for key, title in specs:
        values = Values()
        for clip in clips:
            values.add(clip.get(key))
        data = histogram(values.data)
        if data["edges"]:
            charts.append(
                {
                    "id": key,
                    "title": title,
                    "kind": "hist",
                    "edges": data["edges"],
                    "overflow": data["overflow"],
                    "series": [{"label": "clips", "counts": data["counts"]}],
                }
            )
    return charts


def _rejected(
    folder: VoiceFolder,
    rows: list[dict[str, Any]],
    rejects: Iterable[dict[str, Any]],
    page_dir: Path,
    limit: int,
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Rejected clips to list (up to ``limit`` per reason) and how many each reason has."""
    rejected: list[dict[str, Any]] = []
    per_reason: Counter[str] = Counter()
    for row in rejects:
        entry = _rejected_entry(row, page_dir)
        per_reason[entry["reason"]] += 1
        if per_reason[entry["reason"]] <= limit:
            rejected.append(entry)
    for row in rows:
        if row.get("excluded"):
            entry = _clip_entry(folder, row, page_dir)
            entry.update(reason=EXCLUDED, source_name=entry["clip"], start=None, end=None)
            per_reason[EXCLUDED] += 1
            rejected.append(entry)
    return rejected, per_reason


def voice_page_data(
    folder: VoiceFolder,
    page_dir: Path,
    run_report: dict[str, Any] | None,
    rejects: Iterable[dict[str, Any]] | None = None,
    *,
    rejects_per_reason: int = 50,
) -> dict[str, Any]:
    rows = folder.read_clips(missing_ok=run_report is not None)
    if rejects is None:
        rejects = folder.read_rejected()
    clips = [_clip_entry(folder, r, page_dir) for r in rows if not r.get("excluded")]
    rejected, per_reason = _rejected(folder, rows, rejects, page_dir, rejects_per_reason)
    run_rejects = (run_report or {}).get("rejects_by_reason") or {}
    by_reason = dict(run_rejects) if run_rejects else dict(per_reason)
    if EXCLUDED in per_reason:
        by_reason[EXCLUDED] = per_reason[EXCLUDED]
    charts = _charts(clips)
    bars = runinfo.reject_bars({"rejects_by_reason": by_reason})
    if bars:
        charts.append(bars)
    speakers = Counter(str(c["speaker"]) for c in clips)
    note = (
        f"Up to {rejects_per_reason} clips per reason; each plays its span of the source recording."
        if rejected
        else "No rejected clip rows are available: pass --rejects FILE (the voice run's --rejects output) to list them."
    )
    return {
        "kind": "voice",
        "title": folder.root.name,
        "overview": {
            "clips": len(clips),
            "hours": round(sum(c["duration"] or 0 for c in clips) / 3600, 3),
            "speakers": len(speakers),
            "speakers_list": sorted(speakers),
            "speakers_count": dict(speakers.most_common()),
            "languages": dict(Counter(str(c["language"]) for c in clips).most_common()),
            "rejected_total": sum(by_reason.values()),
            "excluded": per_reason.get(EXCLUDED, 0),
            "formats": folder.formats(run_report),
            "lists": {
                name: [relative(p, folder.root) for p in files]
                for name, files in folder.list_files().items()
            },
        },
        "funnel": runinfo.funnel(run_report),
        "charts": charts,
        "clips": clips,
        "rejected": rejected,
        "rejected_by_reason": by_reason,
        "rejected_note": note,
    }
