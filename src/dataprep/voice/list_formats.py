"""The list and manifest formats ``dataprep voice`` writes: one registry, read by the writers,
the ``write_lists`` stage's parameter type, the ``--format`` option and its help, the voice
report page (where each format's files are) and the owned output folders.

Adding a format: one entry here, and its writer in ``dataprep.voice.writers._WRITERS``
(``tests/voice/test_list_formats.py`` checks that both name the same formats). Importing this
module is cheap (no polars, no audio libraries): the CLI reads it at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

__all__ = ["DEFAULT_FORMATS", "FORMAT_NAMES", "LIST_FORMATS", "ListFormat", "ListFormatName"]


@dataclass(frozen=True)
class ListFormat:
    name: str
    #: The trainers that read it, for help text and docs.
    label: str
    #: Its list files relative to the dataset folder, in the one-folder-per-format layout and
    #: in the flat layout of older runs (``*`` never crosses ``/``).
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """The folder the format owns inside the output folder: its dataset root."""
        return self.name


LIST_FORMATS: dict[str, ListFormat] = {
    f.name: f
    for f in (
        ListFormat("gpt_sovits", "GPT-SoVITS .list", ("*.list", "gpt_sovits/*.list")),
        ListFormat("ljspeech", "LJSpeech metadata.csv", ("metadata.csv", "ljspeech/metadata*.csv")),
        ListFormat("nemo", "NeMo manifest.jsonl", ("manifest.jsonl", "nemo/manifest*.jsonl")),
        ListFormat(
            "audiofolder",
            "Hugging Face AudioFolder metadata.csv",
            ("wavs/metadata.csv", "audiofolder/metadata.csv", "audiofolder/*/metadata.csv"),
        ),
    )
}
FORMAT_NAMES: tuple[str, ...] = tuple(LIST_FORMATS)
#: What ``--format`` and the ``write_lists`` stage write when none is named.
DEFAULT_FORMATS: tuple[str, ...] = ("gpt_sovits", "nemo")

if TYPE_CHECKING:
    ListFormatName = str
else:  # the stage's parameter type (and its JSON Schema enum), built from the registry
    ListFormatName = Literal[FORMAT_NAMES]
