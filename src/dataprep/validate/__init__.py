"""Trainer-aware dataset linting: every row of a JSONL file checked against what TRL accepts.

``check_records(rows, profile)`` lints rows in memory; ``validate_file(path, ...)`` streams a
file. Both return findings with a stable rule id, a severity, a line and a JSON Pointer.
"""

from __future__ import annotations

from dataprep.validate.engine import Report, Validator, check_records
from dataprep.validate.findings import RULES, Finding, Rule, Severity
from dataprep.validate.formats import PROFILES
from dataprep.validate.reader import validate_file

__all__ = [
    "PROFILES",
    "RULES",
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "Validator",
    "check_records",
    "validate_file",
]
