"""``dataprep report``: one offline HTML page (and optionally a dataset card) for a dataset."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the page (default: report.html in a folder, or <name>.report.html beside a file).",
)
@click.option(
    "--tokenizer",
    type=click.Path(exists=True, path_type=Path),
    help="Local tokenizer.json (or its folder) to add token counts per sample and per role.",
)
@click.option(
    "--rejects",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A voice run's --rejects file, to list rejected clips with players.",
)
@click.option(
    "--card/--no-card",
    default=False,
    help="Also write or merge the Hugging Face dataset card (README.md) in the dataset folder.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the embedded row sample."
)
def command(
    path: Path,
    out: Path | None,
    tokenizer: Path | None,
    rejects: Path | None,
    card: bool,
    seed: int,
) -> None:
    """Write a self-contained HTML report for PATH: a dataset validate reads (a JSONL file or a
    folder of split files) or a dataprep voice output folder.

    Statistics cover every row; the page embeds a bounded sample of rows from the dataset files
    only (never rejects or raw inputs of text datasets). It works offline: open it in a browser.
    """
    from dataprep.report import build_report

    page, size = build_report(path, out, tokenizer=tokenizer, rejects=rejects, seed=seed)
    click.echo(f"wrote {page} ({size / 1_000_000:.2f} MB)", err=True)
    if card:
        from dataprep.report.card import write_card

        readme = write_card(path)
        click.echo(f"wrote {readme}", err=True)
