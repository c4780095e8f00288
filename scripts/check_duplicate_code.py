"""``make lint``'s duplicate-code check: pylint's similarity checker on ``src/`` at 6 lines.

Every block of six or more similar lines (comments, docstrings, imports and signatures
ignored) fails the check unless the modules sharing it are listed, with a comment saying
why, in ``duplicate-code-exceptions.txt``; at most 10 exceptions may be listed, and a listed
pair that no longer repeats anything must be removed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "duplicate-code-exceptions.txt"
MAX_EXCEPTIONS = 10
MIN_LINES = 6
_PLACE = re.compile(r"^==([\w.]+):\[(\d+):(\d+)\]$", re.MULTILINE)


def similar_blocks(target: Path) -> list[tuple[frozenset[str], str]]:
    """``(modules, where)`` for every block pylint reports as duplicate code."""
    command = [
        sys.executable,
        "-m",
        "pylint",
        "--disable=all",
        "--enable=duplicate-code",
        f"--min-similarity-lines={MIN_LINES}",
        "--output-format=json",
        str(target),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode & 1 or done.returncode & 32:  # fatal error or usage error
        sys.exit(f"pylint failed:\n{done.stderr}")
    blocks = []
    for message in json.loads(done.stdout or "[]"):
        places = _PLACE.findall(message["message"])
        where = ", ".join(f"{module}:{start}-{end}" for module, start, end in places)
        blocks.append((frozenset(module for module, _, _ in places), where))
    return blocks


def listed_exceptions(path: Path) -> dict[frozenset[str], str]:
    """``module module  # why`` lines; a line without its reason is an error."""
    found: dict[frozenset[str], str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        modules, _, why = line.partition("#")
        if not why.strip() or len(modules.split()) < 2:
            sys.exit(f"{path.name}:{number}: expected 'module module  # why'")
        found[frozenset(modules.split())] = why.strip()
    return found


def main() -> int:
    exceptions = listed_exceptions(EXCEPTIONS)
    problems = []
    if len(exceptions) > MAX_EXCEPTIONS:
        problems.append(f"{len(exceptions)} exceptions listed; at most {MAX_EXCEPTIONS}")
    blocks = similar_blocks(ROOT / "src" / "dataprep")
    for modules, where in blocks:
        if modules not in exceptions:
            problems.append(f"{MIN_LINES}+ similar lines: {where} (fold them into one helper)")
    used = {modules for modules, _ in blocks}
    for modules in exceptions.keys() - used:
        problems.append(f"stale exception (nothing repeats any more): {' '.join(sorted(modules))}")
    for problem in problems:
        print(f"duplicate-code: {problem}")
    print(f"duplicate-code: {len(blocks)} similar blocks, {len(exceptions)} listed exceptions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
