"""What a running pipeline shares with its stages: seed, paths, rejects, counts, progress."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import polars as pl

from dataprep.io import OutputSet
from dataprep.progress import NullProgress, Progress

__all__ = ["RunContext", "StageCounts", "file_label"]


@dataclass
class StageCounts:
    """Counts of one stage; counts from separate runs add up with ``merge``."""

    rows_in: int = 0
    rows_out: int = 0
    batches: int = 0
    seconds: float = 0.0
    rejected: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def merge(self, other: StageCounts) -> StageCounts:
        return StageCounts(
            rows_in=self.rows_in + other.rows_in,
            rows_out=self.rows_out + other.rows_out,
            batches=self.batches + other.batches,
            seconds=self.seconds + other.seconds,
            rejected=self.rejected + other.rejected,
            notes=self.notes + other.notes,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "batches": self.batches,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": sum(self.rejected.values()),
            "notes": dict(sorted(self.notes.items())),
            "seconds": round(self.seconds, 3),
        }


def file_label(path: str) -> str:
    """A stable stand-in for an input file name: ``file-`` and 12 hex digits of its sha256."""
    return "file-" + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


@dataclass
class RunContext:
    """Shared state of one run. Stages read paths and the seed, and report through it."""

    inputs: list[Path] = field(default_factory=list)
    output: Path | None = None
    seed: int = 0
    progress: Progress = field(default_factory=NullProgress)
    outputs: OutputSet = field(default_factory=OutputSet)
    rejects_path: Path | None = None
    #: Caches a rerun reuses (voice decodes and transcripts); None: no cache.
    cache_dir: Path | None = None
    #: Rows per output shard: writers cut each split into ``train-00000-of-00003.jsonl``
    #: shards (``dataprep.shards``; ``--engine ray`` sets it). None: one file per split.
    shard_rows: int | None = None
    #: Where stages spool rows while they wait (dedupe, split); None (the default): a folder
    #: in the output's staging area (``spool_dir``).
    staging_dir: Path | None = None
    counts: dict[str, StageCounts] = field(default_factory=lambda: defaultdict(StageCounts))
    #: Stage-specific report sections (e.g. PII findings per type). Never raw values.
    report: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Free-form values stages hand to later stages (e.g. speaker names for PII).
    shared: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Write the HTML report page (and the dataset card) beside the JSON report on commit.
    html_report: bool = False
    dataset_card: bool = False
    #: Rejected rows kept in memory per ``stage.reason`` for the report page (voice: to listen).
    reject_sample_limit: int = 0
    reject_sample: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Makes the near-duplicate index of dedupe and split from their ``LshParams``
    #: (``LshParams.near_duplicate_index``); None: the in-process ``NearDuplicateIndex``.
    #: ``--engine ray`` puts its distributed index here (``dataprep.engines.ray_dedupe``).
    near_duplicate_index: Callable[..., Any] | None = None
    #: Rejected rows per stage, in files of their own until commit joins them in stage order
    #: (stages run on threads of their own, so one shared file would mix them by timing).
    _reject_parts: dict[str, IO[str]] = field(default_factory=dict)
    _reject_lock: threading.Lock = field(default_factory=threading.Lock)

    def reject(self, stage: str, rows: pl.DataFrame, reason: str | None = None) -> None:
        """Count dropped rows under ``reason`` and keep them when ``--rejects`` is set.

        With ``reason=None`` the rows must carry a ``reason`` column (one reason per row).
        """
        if rows.height == 0:
            return
        rows = rows.select(pl.exclude(r"^__.*$"))  # internal columns (e.g. MinHash signatures)
        counts = self.counts[stage]
        if reason is None:
            for value, n in rows.group_by("reason").len().iter_rows():
                counts.rejected[str(value)] += n
        else:
            counts.rejected[reason] += rows.height
        if self.reject_sample_limit:
            self._keep_reject_sample(stage, rows, reason)
        if self.rejects_path is None:
            return
        handle = self._reject_part(stage)
        for row in rows.to_dicts():
            record = {
                "stage": stage,
                "reason": row.pop("reason", reason) if reason is None else reason,
            }
            record.update(row)
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")

    def _reject_part(self, stage: str) -> IO[str]:
        with self._reject_lock:
            if stage not in self._reject_parts:
                assert self.rejects_path is not None
                if not self._reject_parts:
                    self.outputs.open(self.rejects_path).close()  # staged even when empty
                folder = Path(tempfile.mkdtemp(prefix="rejects-", dir=self.spool_dir()))
                self._reject_parts[stage] = open(  # noqa: SIM115 (closed by close_rejects)
                    folder / "part.jsonl", "w", encoding="utf-8", newline="\n"
                )
            return self._reject_parts[stage]

    def path_label(self, path: str | Path) -> str:
        """How reports and side files name an input: its path, or a stable hash of it when
        PII is scrubbed (file names such as ``WhatsApp Chat with NAME.txt`` hold names)."""
        return file_label(str(path)) if self.shared.get("private_sources") else str(path)

    def spool_dir(self) -> Path:
        """Where stages spool rows: ``staging_dir`` when a caller set one, else a folder in
        the output's staging area (removed with it on every exit, and by the next run after
        a kill)."""
        if self.staging_dir is not None:
            return self.staging_dir
        near = self.output if self.output is None or self.output.is_dir() else self.output.parent
        return self.outputs.scratch(near)

    def _keep_reject_sample(self, stage: str, rows: pl.DataFrame, reason: str | None) -> None:
        for row in rows.head(self.reject_sample_limit).to_dicts():
            why = str(row.pop("reason", reason) if reason is None else reason)
            kept = self.reject_sample.setdefault(f"{stage}.{why}", [])
            if len(kept) < self.reject_sample_limit:
                kept.append({"stage": stage, "reason": why, **row})

    def note(self, stage: str, key: str, amount: int = 1) -> None:
        """Count something that is not a reject (e.g. messages merged into one turn)."""
        self.counts[stage].notes[key] += amount

    def warn(self, message: str) -> None:
        """A warning for the user; it must not contain personal data."""
        self.warnings.append(message)

    def commit(
        self, report: dict[str, Any] | None = None, report_path: Path | None = None
    ) -> list[Path]:
        """Finish a successful run: close rejects, write the report, rename every output into place."""
        self.close_rejects(join=True)
        if report is not None and report_path is not None:
            self._write_companions(report, report_path)
            with self.outputs.open(report_path) as handle:
                handle.write(
                    json.dumps(report, indent=2, ensure_ascii=False, default=_json_default) + "\n"
                )
        return self.outputs.commit()

    def _write_companions(self, report: dict[str, Any], report_path: Path) -> None:
        """The HTML page and the dataset card, staged with the other outputs."""
        if not (self.html_report or self.dataset_card) or self.output is None:
            return
        from dataprep.errors import DataprepError
        from dataprep.report import run_page_data, write_run_page
        from dataprep.report.card import write_run_card

        try:
            data = run_page_data(self, report, report_path)
        except DataprepError as error:
            # The data itself is fine; a page that cannot be built must not cost the run.
            self.warn(f"the HTML report and dataset card were not written: {error}")
            report["warnings"] = list(self.warnings)
            return
        if self.html_report:
            write_run_page(self, data, report_path)
        if self.dataset_card:
            write_run_card(self, data, report)
        if "warnings" in report:
            report["warnings"] = list(self.warnings)

    def abort(self) -> None:
        """Finish a failed run: no output, partial or complete, is left behind."""
        self.close_rejects()
        self.outputs.discard()

    def close_rejects(self, *, join: bool = False) -> None:
        """Close the stages' reject files; with ``join``, copy them into the rejects output
        one stage after another, in the order of ``counts`` (recipe order: the runner counts
        every stage before any runs)."""
        parts, self._reject_parts = self._reject_parts, {}
        for handle in parts.values():
            handle.close()
        if not join or not parts or self.rejects_path is None:
            return
        order = {key: index for index, key in enumerate(self.counts)}
        with self.outputs.open(self.rejects_path, "a") as out:
            for stage in sorted(parts, key=lambda key: order.get(key, len(order))):
                with open(parts[stage].name, encoding="utf-8", newline="\n") as part:
                    shutil.copyfileobj(part, out)
