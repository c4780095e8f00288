"""docs/guarantees.md names a test for every guarantee, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs/guarantees.md"
TESTS = ROOT / "tests"

#: `robustness/test_commit.py::test_x[sigint]`, `test_commit.py::test_x` or `test_x`.
_NAMED = re.compile(r"`(?:(?P<file>[\w/]*test_\w+\.py)::)?(?P<name>test_\w+)(?:\[[^\]`]*\])?`")


def _guarantee_rows() -> list[str]:
    """The body rows of the document's tables (header and separator rows left out)."""
    rows: list[str] = []
    previous = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        # A header row is the first row of its table; a separator row holds only | - :
        if line.startswith("|") and previous.startswith("|") and not set(line) <= set("|-: "):
            rows.append(line)
        previous = line if line.startswith("|") else ""
    return rows


def _defined_tests() -> dict[str, set[str]]:
    """Every ``def test_*`` under tests/, with the files (relative to tests/) that define it."""
    defined: dict[str, set[str]] = {}
    for path in TESTS.rglob("test_*.py"):
        relative = path.relative_to(TESTS).as_posix()
        for name in re.findall(r"^(?:async )?def (test_\w+)", path.read_text("utf-8"), re.M):
            defined.setdefault(name, set()).add(relative)
    return defined


def test_every_guarantee_row_names_a_test():
    rows = _guarantee_rows()
    assert len(rows) >= 20, f"the tables of {DOC.name} were not found ({len(rows)} rows)"
    unbacked = [
        row[:80]
        for row in rows
        if not _NAMED.search(row) and "fuzz suite" not in row and "same test" not in row
    ]
    assert unbacked == [], unbacked


def test_every_test_the_guarantees_name_exists():
    defined = _defined_tests()
    named = [match for row in _guarantee_rows() for match in _NAMED.finditer(row)]
    assert len(named) >= 20
    missing = []
    for match in named:
        files = defined.get(match["name"], set())
        wanted = match["file"]
        if not files or (
            wanted and not any(f == wanted or f.endswith("/" + wanted) for f in files)
        ):
            missing.append(match.group(0))
    assert missing == [], f"{DOC.name} names tests that do not exist: {missing}"
