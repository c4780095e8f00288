"""Run a command and measure every process of its tree: peak RSS and CPU time per process.

Ray runs a pipeline in several processes (the driver, ``gcs_server``, the ``raylet`` that
holds the object store, and one worker process per task slot or actor), so the peak RSS of
the command's own process says nothing about the workers. ``run_measured`` polls the tree
every ``interval`` seconds and keeps, per process, the kernel's own peak (``VmHWM`` in
``/proc/PID/status``, so a spike between two polls is not missed while the process lives)
and its last CPU time (user + system, ``/proc/PID/stat``; the CPU a process spends after
the last poll before it exits is not counted: at most ``interval`` seconds a process).

This process makes itself a child subreaper (Linux ``prctl``), so a process whose parent
exits (a Ray worker after ``ray.shutdown``) stays in the tree instead of moving to init;
processes left running after the command exits are stopped by their process id.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessFigures:
    """One process of the tree: what it was and the most it used."""

    pid: int
    name: str
    peak_rss_mb: float = 0.0
    cpu_seconds: float = 0.0


@dataclass
class TreeRun:
    """A finished command: its exit code, wall seconds and every process seen."""

    pid: int
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    processes: dict[int, ProcessFigures] = field(default_factory=dict)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _sample(pid: int, seen: dict[int, ProcessFigures]) -> None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return
    figures = seen.setdefault(pid, ProcessFigures(pid, ""))
    # Ray renames its workers ("ray::_map_batch", "ray::IDLE"): keep the most telling name.
    if command.strip() and not figures.name.startswith("ray::"):
        figures.name = command.strip()[:160]
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            figures.peak_rss_mb = max(figures.peak_rss_mb, int(line.split()[1]) / 1024)
    fields = stat[stat.rindex(")") + 2 :].split()
    figures.cpu_seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_measured(
    command: list[str], *, env: dict[str, str] | None = None, interval: float = 0.25
) -> TreeRun:
    """Run ``command`` to the end, sampling its process tree every ``interval`` seconds."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    seen: dict[int, ProcessFigures] = {}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    own = os.getpid()
    while process.poll() is None:
        # Every descendant of this process: the command's tree and, this process being a
        # subreaper, the orphans it left.
        for pid in _descendants(own)[1:]:
            _sample(pid, seen)
        time.sleep(interval)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    _stop_leftovers(own, process.pid, seen)
    return TreeRun(process.pid, process.returncode, seconds, stdout, stderr, seen)


def _stop_leftovers(own: int, child: int, seen: dict[int, ProcessFigures]) -> None:
    """Wait a little for processes the command left behind, then stop them by id."""
    deadline = time.monotonic() + 10
    while True:
        left = [pid for pid in _descendants(own) if pid not in (own, child)]
        for pid in left:
            _sample(pid, seen)
        _reap()
        left = [pid for pid in _descendants(own) if pid not in (own, child) and _alive(pid)]
        if not left:
            return
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
