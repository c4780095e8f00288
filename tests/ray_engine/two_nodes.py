"""A two-node Ray cluster on this machine: ``ray start --head`` and ``ray start --address``
on loopback, each with its own ports and temp folder, stopped by process id (never with
``ray stop``, which stops every Ray instance of the user)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _node_command(temp_dir: str, head_port: int, head: bool) -> list[str]:
    command = [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1"]
    command += ["--head", f"--port={head_port}"] if head else [f"--address=127.0.0.1:{head_port}"]
    command += [
        "--num-cpus=1",
        f"--object-store-memory={100 * 1024**2}",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
        # Fixed default ports would collide between two nodes on one machine.
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--metrics-export-port={free_port()}",
    ]
    if head:
        command += ["--include-dashboard=false"]
    return command


def node_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for the nodes and drivers of a throwaway loopback cluster."""
    return {
        **env,
        # Token authentication guards real clusters; this one lives and dies on loopback.
        "RAY_AUTH_MODE": "disabled",
        # SIGTERM drains a node for 30 s by default (for Serve); nothing to drain here.
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the node's own process group (its raylet, stores and workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def two_node_cluster(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """Yield the head's address once both nodes have joined; stop both afterwards."""
    head_port = free_port()
    nodes: list[subprocess.Popen[bytes]] = []
    temp_dirs = [tempfile.mkdtemp(prefix=f"ray17{n}-", dir="/tmp") for n in "hw"]
    try:
        for number, temp_dir in enumerate(temp_dirs):
            log = open(log_dir / f"node{number}.log", "wb")  # noqa: SIM115 (closed with the node)
            nodes.append(
                subprocess.Popen(
                    _node_command(temp_dir, head_port, head=number == 0),
                    env=node_env(env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            if number == 0:
                _wait_for_port(head_port, nodes[0])
        yield f"127.0.0.1:{head_port}"
    finally:
        for process in reversed(nodes):
            _stop(process)
        for temp_dir in temp_dirs:
            subprocess.run(["rm", "-rf", temp_dir], check=False)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Ray head exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray head did not listen on {port} in {timeout} s")
