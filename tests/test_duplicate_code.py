"""The duplicate-code check of ``make lint`` catches a repeated block and honours its exceptions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "check_duplicate_code", REPO / "scripts" / "check_duplicate_code.py"
)
assert _spec is not None and _spec.loader is not None
check = importlib.util.module_from_spec(_spec)
sys.modules["check_duplicate_code"] = check
_spec.loader.exec_module(check)

_BODY = """
def {name}(rows):
    total = 0
    for row in rows:
        if row.get("text"):
            total += len(row["text"])
        elif row.get("value"):
            total += len(row["value"])
        else:
            total -= 1
    return total
"""


def test_a_repeated_block_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text(_BODY.format(name="count_a"))
    (package / "second.py").write_text(_BODY.format(name="count_b"))
    blocks = check.similar_blocks(package)
    assert [modules for modules, _ in blocks] == [frozenset({"pkg.first", "pkg.second"})]


def test_exceptions_need_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "exceptions.txt"
    listed.write_text("# comment\na.b c.d  # both parse the same header\n")
    assert check.listed_exceptions(listed) == {
        frozenset({"a.b", "c.d"}): "both parse the same header"
    }
    listed.write_text("a.b c.d\n")
    with pytest.raises(SystemExit, match="expected"):
        check.listed_exceptions(listed)


def test_the_exception_list_is_short_and_commented() -> None:
    listed = check.listed_exceptions(check.EXCEPTIONS)
    assert len(listed) <= check.MAX_EXCEPTIONS
    assert all(reason for reason in listed.values())
