"""``dataprep recipes``: list the built-in recipes or print one to copy."""

from __future__ import annotations

import click

from dataprep.recipe import builtin_recipes, load_recipe


@click.command("recipes")
@click.argument("name", required=False)
def command(name: str | None) -> None:
    """List the built-in recipes, or print one so you can copy and edit it.

    Run your copy with `dataprep chat ... --recipe my.yaml`.
    """
    recipes = builtin_recipes()
    if name:
        load_recipe(name)  # validates; unknown names list the valid ones
        click.echo(recipes[name].read_text(encoding="utf-8"), nl=False)
        return
    for recipe_name in sorted(recipes):
        recipe = load_recipe(recipe_name)
        click.echo(f"{recipe_name}: {recipe.description}")
