"""Write one benchmark's section of benchmarks/RESULTS.md between its start/end markers."""

from __future__ import annotations

from pathlib import Path

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(tag: str, section: str, path: Path = RESULTS_MD) -> None:
    """Replace ``<!-- tag:start -->...<!-- tag:end -->`` with ``section`` (appended if absent).

    ``section`` includes the two marker lines.
    """
    start_marker, end_marker = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start, end = text.find(start_marker), text.find(end_marker)
    if start >= 0 and end >= 0:
        text = text[:start] + section + text[end + len(end_marker) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
