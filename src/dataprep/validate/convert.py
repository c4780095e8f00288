"""Write a mapped copy of a dataset: the library side of ``dataprep convert``.

The mapping is chosen from the first row's columns (``fixes.suggest_mapping``) and applied to
every row; a row it cannot map is a counted reject with a reason, never silently lost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprep.errors import ConfigError, InputError
from dataprep.io import OutputSet, read_jsonl
from dataprep.validate.fixes import Mapping, suggest_mapping
from dataprep.validate.formats import FORMAT_LABELS, candidate_formats, check_profile

__all__ = ["ConvertResult", "convert_file", "mapping_for_file"]


@dataclass
class ConvertResult:
    """What ``convert_file`` did: the mapping, rows written, rejects by reason."""

    mapping: Mapping
    written: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def _rows(path: str | Path) -> Iterator[tuple[int, str, Any]]:
    """``(line, text, row)``: the parsed row, or a ValueError saying why the line has none."""
    for line in read_jsonl(path):
        yield line.number, line.text, line.value if line.reason is None else ValueError(line.detail)


def mapping_for_file(path: str | Path, target: str = "auto") -> Mapping:
    """The mapping for ``path``'s columns, from its first JSON object row."""
    check_profile(target)
    for _, _, row in _rows(path):
        if isinstance(row, dict):
            mapping = suggest_mapping(row, target)
            if mapping is not None:
                return mapping
            formats = candidate_formats(row, target)
            columns = ", ".join(sorted(row)) or "none"
            if len(formats) == 1:
                label = FORMAT_LABELS[formats[0]]
                raise ConfigError(f"{path}: the rows already are {label}; nothing to convert")
            raise ConfigError(
                f"{path}: no known mapping from the columns ({columns}) to {target}",
                hint="Known columns: instruction/input/output, question/answer, prompt/response, "
                "conversations (ShareGPT), chosen_response/rejected_response; see docs/validate.md",
            )
    raise InputError("no JSON object rows to convert", path=path)


class _ConvertSinks:
    """The converted rows and, when asked for, the rejected lines of one conversion: both staged
    in ``outputs``; counts of rows written and of rejects by reason (the text before `` (``)."""

    def __init__(self, outputs: OutputSet, out: str | Path, rejects: str | Path | None) -> None:
        self.rows = outputs.open(out)
        self.rejects = outputs.open(rejects) if rejects is not None else None
        self.written = 0
        self.rejected: Counter[str] = Counter()

    def write(self, row: Any) -> None:
        self.rows.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.written += 1

    def reject(self, line: int, reason: str, raw: str) -> None:
        self.rejected[reason.split(" (")[0]] += 1
        if self.rejects is not None:
            record = {"line": line, "stage": "convert", "reason": reason, "raw": raw}
            self.rejects.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.rows.close()
        if self.rejects is not None:
            self.rejects.close()


def convert_file(
    path: str | Path, out: str | Path, target: str = "auto", rejects: str | Path | None = None
) -> ConvertResult:
    """Map every row of ``path`` into ``out`` (atomically); unmappable rows go to ``rejects``."""
    mapping = mapping_for_file(path, target)
    function = mapping.function()
    outputs = OutputSet()
    try:
        sinks = _ConvertSinks(outputs, out, rejects)
        for number, raw, row in _rows(path):
            reason = _reason(row, mapping)
            if reason is None:
                try:
                    mapped = mapping.apply(row, function)
                except (KeyError, TypeError, AttributeError) as error:
                    reason = f"mapping failed ({type(error).__name__}: {error})"
                else:
                    sinks.write(mapped)
                    continue
            sinks.reject(number, reason, raw)
        sinks.close()
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise
    return ConvertResult(mapping, sinks.written, sinks.rejected)


def _reason(row: Any, mapping: Mapping) -> str | None:
    if isinstance(row, ValueError):
        return f"invalid JSON ({row})"
    if not isinstance(row, dict):
        return "not a JSON object"
    missing = sorted(mapping.required - set(row))
    if missing:
        return f"missing column ({', '.join(missing)})"
    return None


@dataclass
class TrainerConvertResult:
    """What ``convert_for_trainer`` wrote: rows, rejects by reason, and the config snippet."""

    snippet_path: Path
    snippet: str
    written: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def convert_for_trainer(
    path: str | Path, out: str | Path, trainer: str, rejects: str | Path | None = None
) -> TrainerConvertResult:
    """Write TRL-format rows (mapped first when they need it) in LLaMA-Factory's or Axolotl's
    shape, plus the dataset_info.json entry or Axolotl YAML that loads them, as one output set."""
    from dataprep.formats import trainer_layout
    from dataprep.io import beside

    layout = trainer_layout(trainer)
    mapping = _mapping_if_needed(path)
    function = mapping.function() if mapping is not None else None
    convert_row = layout.convert
    first: Any = None
    outputs = OutputSet()
    try:
        sinks = _ConvertSinks(outputs, out, rejects)
        for number, raw, row in _rows(path):
            reason = (
                None
                if isinstance(row, dict)
                else ("invalid JSON" if isinstance(row, ValueError) else "not a JSON object")
            )
            if reason is None:
                try:
                    source = mapping.apply(row, function) if mapping and function else row
                    mapped, shape = convert_row(source)
                except (KeyError, TypeError, AttributeError, IndexError, ConfigError) as error:
                    reason = f"cannot convert ({type(error).__name__}: {error})"
                else:
                    if first is None:
                        first = shape
                    if shape != first:
                        reason = "row shape differs from the first row's (one config per file)"
                    else:
                        sinks.write(mapped)
                        continue
            sinks.reject(number, reason, raw)
        sinks.close()
        if first is None:
            raise InputError("no row could be converted", path=path)
        snippet = layout.snippet(first, Path(out))
        snippet_path = beside(out, layout.snippet_suffix)
        with outputs.open(snippet_path) as handle:
            handle.write(snippet)
        result = TrainerConvertResult(snippet_path, snippet, sinks.written, sinks.rejected)
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise
    return result


def _mapping_if_needed(path: str | Path) -> Mapping | None:
    for _, _, row in _rows(path):
        if isinstance(row, dict):
            return None if len(candidate_formats(row, "auto")) == 1 else mapping_for_file(path)
    raise InputError("no JSON object rows to convert", path=path)
