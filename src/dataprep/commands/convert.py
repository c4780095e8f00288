"""``dataprep convert``: write a dataset mapped onto a trainer format (the fix ``validate`` suggests)."""

from __future__ import annotations

from pathlib import Path

import click

from dataprep.validate.formats import PROFILES


@click.command("convert")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Choice(["auto", *PROFILES]),
    default="auto",
    show_default=True,
    help="Trainer profile to map onto; auto picks from the columns (SFT or preference).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the mapped JSONL (written atomically).",
)
@click.option(
    "--print-code",
    is_flag=True,
    help="Print the Python (datasets) code of the mapping instead of converting.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write rows that could not be mapped, with line and reason, to this JSONL file.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on standard error.")
def command(
    file: Path,
    target: str,
    out: Path | None,
    print_code: bool,
    rejects_path: Path | None,
    quiet: bool,
) -> None:
    """Map FILE's columns (Alpaca, question/answer, ShareGPT, chosen_response/...) onto TRL's format.

    The mapping is the same code `dataprep validate` prints; --print-code shows it.
    """
    from dataprep.errors import ConfigError
    from dataprep.guard import check_paths, prepare_outputs
    from dataprep.validate.convert import convert_file, mapping_for_file

    if print_code:
        click.echo(mapping_for_file(file, target).snippet(str(file)), nl=False)
        return
    if out is None:
        raise ConfigError(
            "convert needs --out (or --print-code)",
            hint="You can fix this by passing --out mapped.jsonl",
        )
    check_paths([("the input", file)], [("--out", out), ("--rejects", rejects_path)])
    prepare_outputs([out, rejects_path])
    result = convert_file(file, out, target, rejects_path)
    if not quiet:
        mapping = result.mapping
        click.echo(
            f"mapped {result.written} rows with {mapping.name} -> {mapping.target}: wrote {out}",
            err=True,
        )
        for reason, count in sorted(result.rejected.items()):
            click.echo(f"rejected {count} rows: {reason}", err=True)
        click.echo(f"check it with: dataprep validate {out} --format {mapping.target}", err=True)
