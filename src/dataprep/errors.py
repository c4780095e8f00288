"""The one exception tree of dataprep.

Every error a user can cause is a ``DataprepError``; the CLI turns it into one line
and an exit code in one place (``dataprep.cli``). ``--debug`` re-raises instead.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ConfigError",
    "DataprepError",
    "EndpointError",
    "InputError",
    "MissingDependencyError",
    "ModelLoadError",
    "OutputError",
    "RecordError",
    "StageError",
    "UnknownNameError",
]


class DataprepError(Exception):
    """Base class of every error dataprep raises on purpose."""

    #: Process exit code the CLI uses for this error.
    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}. {self.hint}"
        return self.message


class ConfigError(DataprepError):
    """A recipe, a stage parameter or a command-line option is invalid."""


class UnknownNameError(ConfigError):
    """A name (stage, format, profile) is not one of the valid values; lists them."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        super().__init__(
            f"unknown {kind} {name!r}",
            hint="Valid values: " + ", ".join(sorted(valid)),
        )
        self.kind = kind
        self.name = name
        self.valid = list(valid)


class InputError(DataprepError):
    """An input file cannot be read at all (missing, undecodable, wrong format)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        location = ""
        if path is not None:
            # A name with bytes that are not UTF-8 must still print (as U+FFFD).
            shown = os.fsencode(path).decode("utf-8", "replace")
            location = shown + (f":{line}" if line is not None else "") + ": "
        super().__init__(location + message, hint=hint)
        self.path = None if path is None else str(path)
        self.line = line


class RecordError(InputError):
    """One record is invalid; carries path, line and the offending field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        if field:
            message = f"{field}: {message}"
        super().__init__(message, path=path, line=line, hint=hint)
        self.field = field


class OutputError(DataprepError):
    """An output cannot be written (missing directory, permissions, disk full)."""


class MissingDependencyError(DataprepError):
    """An optional dependency is not installed; the message names the pip line."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this needs the optional package {package!r}, which is not installed",
            hint=f'You can fix this with: pip install "finetune-dataprep[{extra}]"',
        )
        self.package = package
        self.extra = extra


class ModelLoadError(DataprepError):
    """A model (spaCy, silero-vad, Whisper) could not be loaded."""


class EndpointError(DataprepError):
    """An LLM endpoint failed in a way retries cannot fix."""


class StageError(DataprepError):
    """Wraps an error raised inside a stage, prefixed with the stage name."""

    def __init__(self, stage: str, error: Exception) -> None:
        super().__init__(f"[{stage}] {error}")
        self.stage = stage
        self.__cause__ = error
        if isinstance(error, DataprepError):
            self.exit_code = error.exit_code
