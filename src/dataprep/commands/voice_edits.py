"""``dataprep voice apply-edits``, and the group that keeps ``dataprep voice PATHS...`` working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command("apply-edits")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("edits", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def apply_edits_command(out: Path, edits: Path) -> None:
    """Apply EDITS (saved with Export edits on OUT/report.html) to the voice dataset in OUT.

    Corrected transcripts replace the old ones and clips marked bad leave every list; each
    change is recorded in the clip's row of OUT/clips.jsonl. All files change together.
    """
    from dataprep.report.edits import apply_edits

    result = apply_edits(out, edits)
    counts = result["counts"]
    click.echo(
        f"{counts.get('text_changed', 0)} transcript(s) changed, {counts.get('marked_bad', 0)} clip(s) "
        f"marked bad, {counts.get('restored', 0)} restored; {result['kept']} of {result['clips']} clips "
        f"in {', '.join(result['formats'])}",
        err=True,
    )
    for path in result["written"]:
        click.echo(f"wrote {path}", err=True)
    for path in result["removed"]:
        click.echo(f"removed {path} (no clip left in it)", err=True)


class VoiceGroup(click.Group):
    """``voice apply-edits ...`` runs the subcommand; anything else runs the voice pipeline."""

    def __init__(self, default: click.Command, **kwargs: Any) -> None:
        super().__init__(name=default.name, help=default.help, **kwargs)
        self.default = default
        self.short_help = default.short_help

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if args and args[0] in self.commands:
            return super().make_context(info_name, args, parent=parent, **extra)
        return self.default.make_context(info_name, args, parent=parent, **extra)


def with_apply_edits(default: click.Command) -> click.Command:
    default.epilog = (
        "Proofreading: dataprep voice apply-edits OUT EDITS applies the edits exported from "
        "OUT/report.html (see dataprep voice apply-edits --help)."
    )
    group = VoiceGroup(default)
    group.add_command(apply_edits_command)
    return group
