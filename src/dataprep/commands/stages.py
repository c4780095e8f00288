"""``dataprep stages``: list every registered stage with its parameters."""

from __future__ import annotations

import json

import click

from dataprep.registry import get_stage, stage_classes


@click.command("stages")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the parameters' JSON Schema.")
def command(name: str | None, as_json: bool) -> None:
    """List the pipeline stages, or show one stage's parameters.

    Every stage can be used in a recipe (see pipelines/*.yaml) under its name.
    """
    if name:
        cls = get_stage(name)
        schema = cls.Params.model_json_schema()
        if as_json:
            click.echo(json.dumps(schema, indent=2))
            return
        click.echo(f"{cls.name} ({cls.kind}): {cls.description}")
        produces = cls.consumes if cls.produces == "same" else cls.produces
        click.echo(f"  reads {cls.consumes}, passes on {produces}")
        for field, info in cls.Params.model_fields.items():
            default = "required" if info.is_required() else f"default {info.default!r}"
            click.echo(f"  {field}: {info.description or ''} ({default})")
        return
    stages = stage_classes()
    if as_json:
        click.echo(
            json.dumps({n: c.Params.model_json_schema() for n, c in stages.items()}, indent=2)
        )
        return
    width = max((len(n) for n in stages), default=0)
    for stage_name, cls in stages.items():
        click.echo(f"{stage_name.ljust(width)}  {cls.kind:<9}  {cls.description}")
