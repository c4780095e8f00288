"""The commit protocol: every output set is published whole, or the old one stays.

Failures, SIGINT, SIGTERM and SIGKILL are injected at every step of the publication
(``DATAPREP_FAULT``) in a child process; after the next run's recovery the folder holds
exactly the old set or exactly the new set, and no staging folder is left.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dataprep.errors import OutputError
from dataprep.outputs import OutputSet, atomic_write, recover, staging_leftovers
from tests.robustness.helpers import env, run_cli, snapshot, write_conversations

OLD = {f"f{i}.jsonl": b"old %d\n" % i for i in range(5)}
NEW = {**{f"f{i}.jsonl": b"new %d\n" % i for i in range(5)}, "f5.jsonl": b"new 5\n"}
STEPS = ["staged", "journal", *(f"rename-{i}" for i in range(1, 7)), "renamed", "cleanup"]
ACTIONS = ["raise", "eacces", "sigint", "sigterm", "sigkill"]

_WRITER = """
import sys
from pathlib import Path
from dataprep.cli import _install_signal_handlers
from dataprep.outputs import OutputSet

_install_signal_handlers()
folder = Path(sys.argv[1])
outputs = OutputSet()
try:
    for i in range(6):
        with outputs.open(folder / f"f{i}.jsonl", "wb") as handle:
            handle.write(b"new %d\\n" % i)
    outputs.commit()
except BaseException:
    outputs.discard()
    raise
"""


def _old_set(folder: Path) -> None:
    for name, data in OLD.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("step", STEPS)
def test_publication_survives_a_fault_at_every_step(tmp_path, step, action):
    _old_set(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        env=env(DATAPREP_FAULT=f"{step}:{action}"),
        capture_output=True,
        timeout=60,
    )
    recover(tmp_path)  # what the next run does first
    state = snapshot(tmp_path)
    assert state in (OLD, NEW), (result.returncode, sorted(state))
    assert staging_leftovers(tmp_path) == []
    if action == "sigkill" and step not in ("staged",):
        assert state == NEW  # the journal was written: the next run completes the set
    errors = ("raise", "eacces")
    if action in errors and (step in ("staged", "journal") or step.startswith("rename-")):
        assert state == OLD  # an error before or during the renames restores the old set
    if action in ("sigint", "sigterm") and step != "staged":
        assert state == NEW  # signals are held while the set is published
        assert result.returncode != 0


def test_error_in_a_rename_restores_the_old_set_in_process(tmp_path, monkeypatch):
    _old_set(tmp_path)
    monkeypatch.setenv("DATAPREP_FAULT", "rename-4:eacces")
    outputs = OutputSet()
    for i in range(6):
        with outputs.open(tmp_path / f"f{i}.jsonl", "wb") as handle:
            handle.write(b"new %d\n" % i)
    with pytest.raises(OutputError, match="previous outputs are unchanged"):
        outputs.commit()
    outputs.discard()
    assert snapshot(tmp_path) == OLD


def test_a_folder_in_the_way_fails_before_anything_is_renamed(tmp_path):
    _old_set(tmp_path)
    outputs = OutputSet()
    for i in range(6):
        with outputs.open(tmp_path / f"f{i}.jsonl", "wb") as handle:
            handle.write(b"new %d\n" % i)
    (tmp_path / "f5.jsonl").mkdir()
    with pytest.raises(OutputError, match="folder is in the way"):
        outputs.commit()
    outputs.discard()
    (tmp_path / "f5.jsonl").rmdir()
    assert snapshot(tmp_path) == OLD


def test_live_staging_folder_of_another_run_is_left_alone(tmp_path):
    outputs = OutputSet()
    with outputs.open(tmp_path / "a.jsonl") as handle:
        handle.write("x\n")
    # A second process recovering the folder must not touch a live run's staging folder.
    code = "import sys; from dataprep.outputs import recover; recover(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env(), check=True)
    assert len(staging_leftovers(tmp_path)) == 1
    outputs.commit()
    assert (tmp_path / "a.jsonl").read_text() == "x\n"
    assert staging_leftovers(tmp_path) == []


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "a.txt") as handle:
        handle.write("new")
        raise RuntimeError("boom")
    assert snapshot(tmp_path) == {"a.txt": b"old"}


# -- through the commands ----------------------------------------------------------------


def _clean(src: Path, out: Path, tag: str, **extra: str):
    return run_cli(
        "clean", src, "--out", out / "train.jsonl", "--no-pii", "--rejects",
        out / "rejects.jsonl", "--seed", tag, "-q", **extra,
    )  # fmt: skip


def _data_files(folder: Path) -> dict[str, bytes]:
    # The report holds timings, and the HTML page and dataset card built from it (issue 16)
    # name the folder and the start time; the data files are what must not mix.
    derived = ("report.json", "report.html", "README.md")
    return {k: v for k, v in snapshot(folder).items() if not k.endswith(derived)}


def test_a_folder_in_the_way_of_one_split_keeps_the_old_set_through_the_cli(tmp_path):
    """The issue's reproduction, no fault injection: a folder where ``val.jsonl`` goes.

    Files used to be renamed one at a time, so the new ``train.jsonl`` landed beside the old
    ``test.jsonl`` before the folder stopped the run.
    """
    src = write_conversations(tmp_path / "in.jsonl", 60)
    out = tmp_path / "out"
    out.mkdir()
    assert _clean(src, out, "1").returncode == 0
    assert all((out / name).stat().st_size for name in ("train.jsonl", "val.jsonl", "test.jsonl"))
    val = out / "val.jsonl"
    val.unlink()
    val.mkdir()
    old = _data_files(out)
    second = _clean(write_conversations(tmp_path / "in2.jsonl", 60, tag="new"), out, "2")
    assert second.returncode == 2, second.stderr
    assert "Traceback" not in second.stderr
    assert _data_files(out) == old  # not one file of the new run
    assert staging_leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("step", ["journal", "rename-1", "rename-2", "rename-4", "renamed"])
def test_clean_killed_while_publishing_is_completed_by_the_next_run(tmp_path, step):
    src = write_conversations(tmp_path / "in.jsonl", 60)
    out = tmp_path / "out"
    out.mkdir()
    assert _clean(src, out, "1").returncode == 0
    old = _data_files(out)
    expected_new = tmp_path / "expected"
    expected_new.mkdir()
    assert _clean(src, expected_new, "2").returncode == 0
    killed = _clean(src, out, "2", DATAPREP_FAULT=f"{step}:sigkill")
    assert killed.returncode == -9
    assert staging_leftovers(out)  # the journal is there for the next run
    # The next run in the folder (here a different command) restores the set first.
    run_cli("validate", src, "--output", out / "validate.txt")
    state = {k: v for k, v in _data_files(out).items() if k != "validate.txt"}
    assert state == _data_files(expected_new)
    assert state != old
    assert staging_leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("action", ["sigkill", "sigterm", "sigint"])
def test_spool_files_stay_in_the_staging_area_and_go_away(tmp_path, action):
    src = write_conversations(tmp_path / "in.jsonl", 60)
    out = tmp_path / "out"
    out.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = _clean(src, out, "1", DATAPREP_FAULT=f"spool-add:{action}", TMPDIR=str(temp))
    assert result.returncode != 0
    assert list(temp.iterdir()) == []  # nothing with raw rows in the shared temp folder
    if action == "sigkill":
        (leftover,) = staging_leftovers(out)
        assert list(leftover.glob("scratch/dataprep-spool-*"))  # the spool is in the staging area
        assert _clean(src, out, "1").returncode == 0  # the next run removes it
    else:
        assert "Traceback" not in result.stderr
        assert result.returncode == (130 if action == "sigint" else 143)
    assert staging_leftovers(out) == []
    assert not list(out.glob(".*.tmp"))
