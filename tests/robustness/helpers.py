"""Shared helpers of the robustness tests: running the CLI in a subprocess, snapshots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHATSAPP = ROOT / "fixtures/chat/whatsapp/android_dmy_24h_colin.txt"
# DATAPREP_TEST_SRC runs the children against another tree (e.g. main, to see a test fail there).
SRC = Path(os.environ.get("DATAPREP_TEST_SRC", str(ROOT / "src")))


def env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports this tree's dataprep."""
    values = dict(os.environ)
    values["PYTHONPATH"] = str(SRC) + os.pathsep + values.get("PYTHONPATH", "")
    values.pop("DATAPREP_FAULT", None)
    values.update(extra)
    return values


#: Runs a child as root without the capabilities that bypass file permissions, so mode
#: bits apply to it as to any unprivileged user (the venv's Python lives under /root, which
#: user ``nobody`` cannot reach).
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def run_cli(
    *args: str | Path,
    timeout: float = 120,
    cwd: Path | None = None,
    prefix: list[str] | None = None,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """``dataprep ARGS`` in a child process (so signals and kills are real)."""
    command = [sys.executable, "-c", "from dataprep.cli import main; main()", *map(str, args)]
    return subprocess.run(
        [*(prefix or []), *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(**extra),
        cwd=cwd,
    )


_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
sys.stdout.write(f"{code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def peak_rss_mb(*args: str | Path, timeout: float = 120, **extra: str) -> tuple[int, float, str]:
    """Run ``dataprep ARGS``; returns (exit code, its peak resident memory in MB, stderr).

    A small wrapper process runs it, so the peak is this one child's, not the test's.
    """
    command = [sys.executable, "-c", "from dataprep.cli import main; main()", *map(str, args)]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(**extra),
    )
    code, rss_kb = result.stdout.split()
    return int(code), int(rss_kb) / 1024, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path (staging folders included)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The run failed with ``code`` and one ``Error:`` line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def write_conversations(path: Path, n: int = 30, tag: str = "") -> Path:
    """``n`` distinct OpenAI-messages conversations."""
    lines = []
    for i in range(n):
        messages = [
            {"role": "user", "content": f"question {i} {tag} about topic {i * 7 % 13}"},
            {"role": "assistant", "content": f"answer {i} {tag} with detail {i * 11 % 17}"},
        ]
        lines.append(json.dumps({"messages": messages}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
