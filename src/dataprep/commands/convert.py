"""``dataprep convert``: write a dataset mapped onto a trainer format (the fix ``validate`` suggests)."""

from __future__ import annotations

from pathlib import Path

import click

from dataprep.formats import trainer_layout, trainer_layout_names
from dataprep.validate.formats import PROFILES


@click.command("convert")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Choice(["auto", *PROFILES, *trainer_layout_names()]),
    default="auto",
    show_default=True,
    help="Trainer profile to map onto; auto picks from the columns (SFT or preference). "
    + " and ".join(trainer_layout_names())
    + " write their format plus the config snippet to paste beside --out.",
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
    from dataprep.guard import Labelled, check_paths, prepare_outputs
    from dataprep.io import beside
    from dataprep.validate.convert import convert_file, mapping_for_file

    if print_code:
        click.echo(mapping_for_file(file, target).snippet(str(file)), nl=False)
        return
    if out is None:
        raise ConfigError(
            "convert needs --out (or --print-code)",
            hint="You can fix this by passing --out mapped.jsonl",
        )
    outputs: list[Labelled] = [("--out", out), ("--rejects", rejects_path)]
    if target in trainer_layout_names():  # the config snippet written beside --out
        suffix = trainer_layout(target).snippet_suffix
        outputs.append(("the config snippet", beside(out, suffix)))
    check_paths([("the input", file)], outputs)
    prepare_outputs([out, rejects_path])
    if target in trainer_layout_names():
        _convert_for_trainer(file, out, target, rejects_path, quiet)
        return
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


def _convert_for_trainer(
    file: Path, out: Path, target: str, rejects_path: Path | None, quiet: bool
) -> None:
    from dataprep.validate.convert import convert_for_trainer

    result = convert_for_trainer(file, out, target, rejects_path)
    if quiet:
        return
    click.echo(f"wrote {result.written} rows for {target}: {out}", err=True)
    for reason, count in sorted(result.rejected.items()):
        click.echo(f"rejected {count} rows: {reason}", err=True)
    what = trainer_layout(target).snippet_label
    click.echo(f"{what} ({result.snippet_path}):\n{result.snippet}", err=True, nl=False)
