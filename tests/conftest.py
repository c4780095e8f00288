"""Shared test helpers. Everything runs offline: no model or data is fetched from a hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

# No per-example deadlines: they are timed asserts, and the shared machines' load makes them flaky.
settings.register_profile("dataprep", deadline=None)
settings.load_profile("dataprep")

# Belt and braces: nothing in the suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


def run_cli(*args: str | os.PathLike[str], input: str | None = None) -> Result:
    """Run ``dataprep ARGS`` in-process and return click's result (exit code, output)."""
    from dataprep.cli import cli

    runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def run_main(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
    """Run ``dataprep.cli.main`` (the real entry point with error translation)."""
    import contextlib
    import io

    from dataprep.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
