"""JSON Schemas of the record models, as committed under ``validators/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataprep.errors import OutputError
from dataprep.io import atomic_write
from dataprep.records import RECORD_MODELS

__all__ = ["schema_for", "write_schemas"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(name: str) -> dict[str, Any]:
    """The JSON Schema of ``RECORD_MODELS[name]`` (aliases such as ShareGPT's ``from`` applied)."""
    schema = RECORD_MODELS[name].model_json_schema(by_alias=True)
    return {"$schema": _DIALECT, "$id": f"{name}.schema.json", **schema}


def write_schemas(out_dir: str | Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every record model; returns the paths written."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{folder}: cannot create the folder ({error.strerror})") from None
    written = []
    for name in sorted(RECORD_MODELS):
        path = folder / f"{name}.schema.json"
        with atomic_write(path) as handle:
            handle.write(json.dumps(schema_for(name), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
