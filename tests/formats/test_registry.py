"""The format registry: one home per record format, read by every consumer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dataprep import formats
from dataprep.formats import sharegpt
from dataprep.io import SPLITS
from tests.conftest import REPO

SRC = REPO / "src" / "dataprep"


def _python_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _literals(path: Path) -> list[ast.AST]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.Dict, ast.Tuple, ast.List, ast.Set))
    ]


def _strings(node: ast.AST) -> list[str]:
    children = (
        [*node.keys, *node.values] if isinstance(node, ast.Dict) else getattr(node, "elts", [])
    )
    return [c.value for c in children if isinstance(c, ast.Constant) and isinstance(c.value, str)]


def test_the_sharegpt_role_map_is_written_once() -> None:
    """No module but formats/sharegpt.py spells ShareGPT's role names in a literal."""
    owners = []
    for path in _python_files():
        for node in _literals(path):
            if "gpt" in _strings(node):
                owners.append(path.relative_to(SRC).as_posix())
    assert set(owners) == {"formats/sharegpt.py"}, owners


def test_split_names_are_written_once() -> None:
    owners = {
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        for node in _literals(path)
        if {"train", "val", "test"} <= set(_strings(node))
    }
    assert owners == {"io.py"}, owners
    assert SPLITS == ("train", "val", "test")


def test_output_format_lists_are_written_once() -> None:
    """``--output-format`` choices are listed only inside ``dataprep.formats``."""
    names = set(formats.output_format_names())
    owners = {
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        if path.parent.name != "formats"
        for node in _literals(path)
        if len(names & set(_strings(node))) >= 2
    }
    # LLaMA-Factory's own `formatting` values (alpaca, sharegpt, openai) share these names.
    assert owners <= {"validate/llamafactory.py"}, owners


def test_consumers_read_the_registry() -> None:
    from dataprep.chat.write import WriteConversationsParams
    from dataprep.records import RECORD_MODELS
    from dataprep.validate import formats as validate_formats
    from dataprep.validate import rows

    assert rows.SHAREGPT_ROLES is sharegpt.SHAREGPT_ROLES
    registry = formats.formats()
    assert set(validate_formats.FORMAT_LABELS) == set(registry)
    for name, profile in validate_formats.PROFILE_FOR_FORMAT.items():
        assert registry[name].profiles[0] == profile
    for name, model in formats.record_models().items():
        assert RECORD_MODELS[name] is model
    with pytest.raises(ValueError, match="unknown output format"):
        WriteConversationsParams(output_format="nope")


def test_every_format_module_is_complete() -> None:
    for name, fmt in formats.formats().items():
        assert fmt.name == name and fmt.label
        assert (fmt.read is None) == (fmt.restore is None), name
        if fmt.output_names:
            assert fmt.write_samples or fmt.write_pairs, name
        for model in fmt.models.values():
            assert model.__doc__, f"{name}: {model.__name__} needs a docstring"


@pytest.mark.parametrize(
    ("name", "preference"),
    [(n, p) for n in ("sharegpt", "openai", "trl", "alpaca") for p in (False, True)],
)
def test_every_output_name_has_writers(name: str, preference: bool) -> None:
    assert callable(formats.output_writer(name, preference))


def test_unknown_format_lists_the_valid_ones() -> None:
    from dataprep.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="sharegpt"):
        formats.get_format("sharegtp")


def test_other_trainers_layouts_are_registry_entries() -> None:
    """LLaMA-Factory and Axolotl are format modules; convert and validate read their names,
    converters and config snippets from the registry, not from lists of their own."""
    from dataprep.commands.convert import command as convert_command
    from dataprep.commands.validate import command as validate_command

    assert formats.trainer_layout_names() == ["llamafactory", "axolotl"]
    assert formats.trainer_layout("llamafactory").snippet_suffix == "dataset_info.json"
    assert formats.trainer_layout("axolotl").snippet_suffix == "axolotl.yaml"
    choices = {
        option.opts[0]: list(option.type.choices)  # type: ignore[attr-defined]
        for command in (convert_command, validate_command)
        for option in command.params
        if option.opts[0] in ("--to", "--profile")
    }
    assert choices["--to"][-2:] == ["llamafactory", "axolotl"]
    assert choices["--profile"] == ["trl", "llamafactory", "axolotl"]
    owners = {
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        for node in _literals(path)
        if {"llamafactory", "axolotl"} <= set(_strings(node))
    }
    assert owners == {"formats/__init__.py"}, owners
    with pytest.raises(Exception, match="llamafactory"):
        formats.trainer_layout("sharegpt")
