"""Every record model dataprep reads or writes, for the JSON Schema export.

``RECORD_MODELS`` maps a stable name to its model; ``dataprep schemas`` writes one JSON
Schema per entry into ``validators/<name>.schema.json``. Dataset record models live with
their format in ``dataprep.formats``; voice list rows in ``dataprep.records.voice``.
"""

from __future__ import annotations

from pydantic import BaseModel

from dataprep.formats import record_models
from dataprep.records.voice import RECORD_MODELS as VOICE_MODELS

__all__ = ["RECORD_MODELS"]

RECORD_MODELS: dict[str, type[BaseModel]] = {**record_models(), **VOICE_MODELS}
