"""Axolotl's dataset layout: ``type: chat_template`` conversations (and ``chat_template.default``
preference rows) with the YAML config that loads them. The rules live in
``dataprep.validate.axolotl`` (written from Axolotl's source); this module registers the layout.

Rows of this layout are never detected by their keys: the config names the message field and
the role mappings, so ``validate --profile axolotl --axolotl-config`` reads them with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dataprep.formats.base import RecordFormat, TrainerLayout


def _convert(row: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    from dataprep.validate.axolotl import to_axolotl

    return to_axolotl(row)


def _snippet(shape: Any, out: Path) -> str:
    from dataprep.validate.axolotl import config_snippet

    return config_snippet(str(out), shape)


FORMAT = RecordFormat(
    name="axolotl",
    label="Axolotl chat_template dataset (YAML config)",
    matches=lambda row: False,
    trainer=TrainerLayout(
        convert=_convert,
        snippet=_snippet,
        snippet_suffix="axolotl.yaml",
        snippet_label="Axolotl config",
    ),
)
