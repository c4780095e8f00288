"""Run every benchmark in turn; each writes benchmarks/results/*.json and its RESULTS.md section.

    python benchmarks/run_all.py              # full size (about an hour on 2 cores)
    python benchmarks/run_all.py --only chat  # one benchmark (name without bench_ and .py)
    python benchmarks/run_all.py --small      # a quick smoke run at reduced sizes

Full-size runs are what RESULTS.md reports; --small runs check that the scripts work and
overwrite the results with small-size figures, so do not commit those.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> arguments for a quick smoke run
SMALL = {
    "chat": ["--messages", "20000"],
    "chat_readers": ["--messages", "2000"],
    "chat_memory": ["--sizes-mb", "2", "8"],
    "pii": ["--messages", "2000", "--baseline-messages", "200"],
    "minhash": [
        "--samples",
        "20000",
        "--long-samples",
        "3000",
        "--datasketch-samples",
        "500",
        "--datasketch-long-samples",
        "100",
        "--planted",
        "2000",
    ],
    "validate": ["--size-mb", "20", "--repeats", "1"],
    "bootstrap": ["--n", "40"],
    "voice": ["--repeats", "1"],
    "report": ["--quick"],
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(SMALL), help="run only these (repeatable)"
    )
    parser.add_argument("--small", action="store_true", help="reduced sizes, for a smoke run")
    args = parser.parse_args()
    failed = []
    for name in args.only or list(SMALL):
        command = [
            sys.executable,
            str(HERE / f"bench_{name}.py"),
            *(SMALL[name] if args.small else []),
        ]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
