"""Write one benchmark's section of benchmarks/RESULTS.md, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(key: str, lines: list[str]) -> None:
    """Put ``lines`` between ``<!-- KEY:start -->`` and ``<!-- KEY:end -->`` (added at the end
    of the file when the markers are missing)."""
    begin, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = "\n".join([begin, *lines, end])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    start, stop = text.find(begin), text.find(end)
    if start != -1 and stop != -1:
        text = text[:start] + section + text[stop + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")
