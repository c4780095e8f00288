"""LLaMA-Factory's dataset layout: alpaca, sharegpt or openai formatting described by a
``dataset_info.json`` entry. The rules live in ``dataprep.validate.llamafactory`` (checked
row by row against LLaMA-Factory's own converter); this module registers the layout.

Rows of this layout are never detected by their keys: their columns are whatever the
``dataset_info.json`` entry names, so ``validate --profile llamafactory --dataset-info``
reads them with that entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataprep.formats.base import RecordFormat, TrainerLayout


def _convert(row: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    from dataprep.validate.llamafactory import to_llamafactory

    return to_llamafactory(row)


def _snippet(shape: Any, out: Path) -> str:
    """The ``dataset_info.json`` entry that loads ``out``, named after its stem."""
    return json.dumps({out.stem: shape.as_entry(out.name)}, indent=2, ensure_ascii=False) + "\n"


FORMAT = RecordFormat(
    name="llamafactory",
    label="LLaMA-Factory dataset (dataset_info.json entry)",
    matches=lambda row: False,
    trainer=TrainerLayout(
        convert=_convert,
        snippet=_snippet,
        snippet_suffix="dataset_info.json",
        snippet_label="dataset_info.json entry",
    ),
)
