"""See a dataset before training: an offline HTML page and a Hugging Face dataset card.

``build_report`` is what ``dataprep report`` calls; ``write_run_page`` is what the pipeline
commands call before their outputs are committed, so the page joins the same output set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataprep.io import atomic_write
from dataprep.report.dataset import find_run_report, locate_text_dataset
from dataprep.report.page import write_page
from dataprep.report.voice import VoiceFolder, is_voice_folder, read_objects, voice_page_data

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = [
    "build_report",
    "default_page_path",
    "page_data",
    "run_page_data",
    "write_run_page",
]


def default_page_path(path: Path) -> Path:
    """``out/`` -> ``out/report.html``; ``data/train.jsonl`` -> ``data/train.report.html``."""
    if path.is_dir():
        return path / "report.html"
    return path.with_name(path.name.rsplit(".", 1)[0] + ".report.html")


def page_data(
    paths: list[Path],
    page_path: Path,
    run_report: dict[str, Any] | None,
    *,
    resolve: Callable[[Path], Path] = lambda path: path,
    tokenizer: Path | None = None,
    rejects: Iterable[dict[str, Any]] | None = None,
    exclude: Path | None = None,
    seed: int = 0,
    voice: bool = False,
    staged: frozenset[Path] = frozenset(),
) -> dict[str, Any]:
    """The page's data for a voice folder or a text dataset (files or a folder of splits)."""
    from dataprep.report.textpage import text_page_data

    if voice or (len(paths) == 1 and is_voice_folder(paths[0])):
        folder = VoiceFolder(paths[0], resolve, staged)
        return voice_page_data(folder, page_path.parent, run_report, rejects)
    dataset = locate_text_dataset(paths, resolve, exclude)
    return text_page_data(dataset, run_report, tokenizer=tokenizer, seed=seed)


def build_report(
    path: Path,
    out: Path | None = None,
    *,
    tokenizer: Path | None = None,
    rejects: Path | None = None,
    seed: int = 0,
) -> tuple[Path, int]:
    """Write the HTML page for the dataset at ``path``; returns its path and size in bytes."""
    out = out or default_page_path(path)
    run_report = find_run_report(path)
    rows = read_objects(rejects) if rejects is not None else None
    data = page_data([path], out, run_report, tokenizer=tokenizer, rejects=rows, seed=seed)
    with atomic_write(out) as handle:
        write_page(data, handle)
    return out, out.stat().st_size


def run_page_path(report_path: Path) -> Path:
    """``data/train.report.json`` -> ``data/train.report.html``."""
    return report_path.with_name(report_path.name.rsplit(".", 1)[0] + ".html")


def run_page_data(ctx: RunContext, report: dict[str, Any], report_path: Path) -> dict[str, Any]:
    """The page data of a run's staged outputs (read from their temporary files)."""
    assert ctx.output is not None
    staged = set(ctx.outputs.targets)

    def resolve(path: Path) -> Path:
        target = path.absolute()
        return ctx.outputs.temp_path(target) if target in staged else path

    output = ctx.output.absolute()
    voice = output.is_dir()
    if voice:
        paths = [output]
    else:
        paths = sorted(p for p in staged if p.parent == output.parent and p.suffix == ".jsonl")
    return page_data(
        paths,
        run_page_path(report_path),
        report,
        resolve=resolve,
        rejects=[row for rows in ctx.reject_sample.values() for row in rows],
        exclude=ctx.rejects_path.absolute() if ctx.rejects_path else None,
        seed=ctx.seed,
        voice=voice,
        staged=frozenset(staged),
    )


def write_run_page(ctx: RunContext, data: dict[str, Any], report_path: Path) -> Path:
    """Stage the page beside the JSON report; it is committed with the run's other outputs.

    A voice run also stages the rejected clips it kept, so a later ``dataprep report OUT`` or
    ``apply-edits`` still lists them with players.
    """
    from dataprep.report.voice import REJECTED_TABLE, rejected_table_rows

    page_path = run_page_path(report_path)
    if data["kind"] == "voice" and ctx.output is not None and ctx.reject_sample:
        rows = [row for rows in ctx.reject_sample.values() for row in rows]
        with ctx.outputs.open(ctx.output / REJECTED_TABLE) as handle:
            handle.writelines(rejected_table_rows(rows))
    with ctx.outputs.open(page_path) as handle:
        write_page(data, handle)
    return page_path
