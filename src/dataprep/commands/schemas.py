"""``dataprep schemas``: write the JSON Schema of every record format (``validators/``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("schemas")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("validators"),
    show_default=True,
    help="Folder to write <name>.schema.json files into.",
)
def command(out_dir: Path) -> None:
    """Write one JSON Schema per record format (SFT, ShareGPT, alpaca, DPO, GRPO, KTO, voice lists).

    The schemas are generated from the pydantic models of dataprep.formats and
    dataprep.records.voice; run `make schemas`
    after changing a model and commit the result.
    """
    from dataprep.records.schemas import write_schemas

    for path in write_schemas(out_dir):
        click.echo(f"wrote {path}")
