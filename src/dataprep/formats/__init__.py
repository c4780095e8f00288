"""Every record format dataprep reads or writes, one module each, listed once.

A format module (``dataprep/formats/<name>.py``) defines its pydantic model(s), the keys
that identify its rows, its conversion to and from the internal samples table and its
label, and ends with ``FORMAT = RecordFormat(...)``. Adding a format is that module plus
one line in ``FORMAT_MODULES``; the chat writer (``--output-format``), ``dataprep clean``,
``dataprep validate`` (format detection), ``dataprep convert``, ``dataprep bootstrap`` and
``dataprep schemas`` all read this registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from dataprep.errors import ConfigError, UnknownNameError
from dataprep.formats.base import (
    Conversation,
    NotAConversation,
    RecordFormat,
    TrainerLayout,
    Writer,
)

__all__ = [
    "FORMAT_MODULES",
    "Conversation",
    "NotAConversation",
    "RecordFormat",
    "detect_readable",
    "formats",
    "get_format",
    "output_format_names",
    "output_writer",
    "record_models",
    "trainer_layout",
    "trainer_layout_names",
]

#: One line per format module. Order matters where a row matches two formats: reading picks
#: the first readable one (ShareGPT preference rows have ``chosen`` too), and ``validate``
#: lists the matches in this order.
FORMAT_MODULES: tuple[str, ...] = (
    "sharegpt",
    "messages",
    "openai_dpo",
    "alpaca",
    "text",
    "prompt_completion",
    "preference_explicit",
    "preference_implicit",
    "prompt_only",
    "unpaired_preference",
    "llamafactory",
    "axolotl",
)

_FORMATS: dict[str, RecordFormat] = {}


def formats() -> dict[str, RecordFormat]:
    """Every record format, by name, in registry order."""
    if not _FORMATS:
        for module in FORMAT_MODULES:
            fmt: RecordFormat = importlib.import_module(f"dataprep.formats.{module}").FORMAT
            if fmt.name != module:
                raise RuntimeError(f"dataprep.formats.{module} defines format {fmt.name!r}")
            _FORMATS[fmt.name] = fmt
    return dict(_FORMATS)


def get_format(name: str) -> RecordFormat:
    """The format called ``name``; an unknown name lists the valid ones."""
    found = formats()
    if name not in found:
        raise UnknownNameError("record format", name, list(found))
    return found[name]


def record_models() -> dict[str, type[BaseModel]]:
    """Schema name -> pydantic model of every format (what ``dataprep schemas`` writes)."""
    return {name: model for fmt in formats().values() for name, model in fmt.models.items()}


def output_format_names() -> list[str]:
    """The ``--output-format`` choices, in registry order."""
    names: dict[str, None] = {}
    for fmt in formats().values():
        names.update(dict.fromkeys(fmt.output_names))
    return list(names)


def output_writer(output_format: str, preference: bool) -> Writer:
    """The writer ``--output-format output_format`` uses for SFT samples or preference pairs."""
    for fmt in formats().values():
        writer = fmt.writer(preference)
        if output_format in fmt.output_names and writer is not None:
            return writer
    if output_format not in output_format_names():
        raise UnknownNameError("output format", output_format, output_format_names())
    kind = "preference pairs" if preference else "SFT samples"
    raise ConfigError(f"output format {output_format!r} cannot hold {kind}")


def trainer_layout_names() -> list[str]:
    """Other trainers' layouts (``convert --to``, ``validate --profile``), in registry order."""
    return [name for name, fmt in formats().items() if fmt.trainer is not None]


def trainer_layout(name: str) -> TrainerLayout:
    """The layout of trainer ``name``; an unknown name lists the valid ones."""
    layout = formats()[name].trainer if name in formats() else None
    if layout is None:
        raise UnknownNameError("trainer layout", name, trainer_layout_names())
    return layout


def detect_readable(record: Mapping[str, Any]) -> RecordFormat:
    """The first format that can read ``record`` back into turns, or NotAConversation."""
    if not isinstance(record, Mapping):
        raise NotAConversation("the line is not a JSON object")
    for fmt in formats().values():
        if fmt.read is not None and fmt.matches(record):
            return fmt
    readable = [sorted(f.keys) for f in formats().values() if f.read is not None]
    raise NotAConversation("no " + ", ".join("/".join(keys) for keys in readable) + " fields")
