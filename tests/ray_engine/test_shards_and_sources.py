"""``--engine ray`` reads each input file in a task of its own and writes shards: the shards
joined are the local engine's files, and a failed run commits none of them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dataprep.context import RunContext
from dataprep.errors import StageError
from dataprep.outputs import staging_leftovers
from dataprep.runner import run_recipe
from dataprep.stage import Stage
from tests.conftest import FIXTURES, run_main
from tests.ray_engine.stages import FailAtLine, ReadConversationsWhere
from tests.ray_engine.test_ray_engine import (
    CONVERSATIONS,
    clean_recipe,
    clean_stages,
    outputs,
    rejects,
    shards_joined,
)

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_instance")]


def three_files(folder: Path) -> list[Path]:
    """The clean fixture cut into three JSONL files; the second also holds a line that is
    not JSON and a record that is not a conversation (two counted rejects)."""
    lines = CONVERSATIONS.read_text(encoding="utf-8").splitlines(keepends=True)
    parts = [lines[:8], [*lines[8:15], "{not json\n", '{"id": "x", "nothing": 1}\n'], lines[15:]]
    files = []
    for number, part in enumerate(parts):
        path = folder / f"part{number}.jsonl"
        path.write_text("".join(part), encoding="utf-8")
        files.append(path)
    return files


def run(
    folder: Path,
    inputs: list[Path],
    built: list[tuple[str, Stage]],
    *,
    shard_rows: int | None = None,
) -> dict:
    """``built`` over ``inputs`` into ``folder``; on Ray with ``shard_rows``."""
    from dataprep.engines.ray_engine import RayEngine

    folder.mkdir(exist_ok=True)
    ctx = RunContext(
        inputs=inputs, output=folder / "train.jsonl", rejects_path=folder / "rejects.jsonl"
    )
    engine = None if shard_rows is None else RayEngine(shard_rows=shard_rows)
    report_path = folder / "train.report.json"
    return run_recipe(
        clean_recipe(), ctx, stages=built, engine=engine, report_path=report_path
    ).report


def with_reader(reader: Stage) -> list[tuple[str, Stage]]:
    built = clean_stages()
    assert built[0][0] == "read_conversations"
    built[0] = ("read_conversations", reader)
    return built


def test_each_file_is_read_in_a_task_on_a_worker_and_the_rows_are_the_local_ones(
    tmp_path: Path,
) -> None:
    files = three_files(tmp_path)
    local = run(tmp_path / "local", files, with_reader(ReadConversationsWhere({"batch_size": 2})))
    on_ray = run(
        tmp_path / "ray",
        files,
        with_reader(ReadConversationsWhere({"batch_size": 2})),
        shard_rows=4,
    )
    assert shards_joined(tmp_path / "ray") == outputs(tmp_path / "local")
    assert len(list((tmp_path / "ray").glob("train-?????-of-?????.jsonl"))) > 1
    # Bad lines are the same counted rejects, naming the same file and line.
    assert rejects(tmp_path / "ray") == rejects(tmp_path / "local")
    reader = [report["stages"]["read_conversations"] for report in (local, on_ray)]
    assert (
        reader[1]["rejected"]
        == reader[0]["rejected"]
        == {
            "invalid_json": 1,
            "not_a_conversation": 1,
        }
    )
    assert reader[1]["rows_out"] == reader[0]["rows_out"]
    # Where each file was read: here, locally; on Ray, three tasks, none in this process.
    assert reader[0]["notes"] == {f"pid:{os.getpid()}": 3}
    assert sum(reader[1]["notes"].values()) == 3
    assert f"pid:{os.getpid()}" not in reader[1]["notes"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_run_that_fails_while_writing_commits_no_shard_and_keeps_the_earlier_ones(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "out"
    run(folder, [CONVERSATIONS], clean_stages(), shard_rows=2)
    before = snapshot(folder)
    assert len([name for name in before if name.startswith("train-")]) > 2
    # Batches of two records up to line 14 pass and are written (as shards of 3) before
    # the stage fails.
    built = clean_stages()
    built.insert(len(built) - 1, (FailAtLine.name, FailAtLine({"line": 15})))
    with pytest.raises(StageError, match="fail_at_line"):
        run(folder, [CONVERSATIONS], built, shard_rows=3)
    assert snapshot(folder) == before
    assert staging_leftovers(folder) == []


def test_a_rerun_with_another_shard_count_replaces_every_shard(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    run(folder, [CONVERSATIONS], clean_stages(), shard_rows=2)
    run(tmp_path / "local", [CONVERSATIONS], clean_stages())
    report = run(folder, [CONVERSATIONS], clean_stages(), shard_rows=5)
    assert shards_joined(folder) == outputs(tmp_path / "local")
    written = report["details"]["write_records"]["shards"]
    data = sorted(p.name for p in folder.glob("*-?????-of-?????.jsonl"))
    assert data == sorted(name for names in written.values() for name in names)
    assert all(name.endswith(("-of-00001.jsonl", "-of-00003.jsonl")) for name in data)


def bad_exports(folder: Path) -> Path:
    """A WhatsApp chat and a Telegram export cut in the middle of a value."""
    exports = folder / "exports"
    exports.mkdir()
    good = FIXTURES / "chat" / "whatsapp" / "android_dmy_24h_colin.txt"
    (exports / "a_chat.txt").write_bytes(good.read_bytes())
    telegram = (FIXTURES / "chat" / "telegram" / "single_chat_result.json").read_text()
    (exports / "b_result.json").write_text(telegram[: len(telegram) // 2])
    return exports


def run_chat_on(exports: Path, out: Path, engine: str, *extra: str) -> tuple[int, str]:
    out.mkdir()
    code, _, err = run_main(
        "chat", exports, "--me", "Colin", "--no-pii", "--out", out / "train.jsonl",
        "--rejects", out / "rejects.jsonl", "--engine", engine, *extra, "-q",
    )  # fmt: skip
    return code, err


def test_a_bad_export_fails_with_the_local_engines_one_line_error(tmp_path: Path) -> None:
    exports = bad_exports(tmp_path)
    errors = []
    for engine in ("local", "ray"):
        code, err = run_chat_on(exports, tmp_path / engine, engine)
        assert code != 0
        assert list((tmp_path / engine).iterdir()) == []
        errors.append([line for line in err.splitlines() if line.startswith("Error:")])
    assert errors[0] == [
        f"Error: [read_chat] {exports / 'b_result.json'}:90: truncated JSON: the file ends "
        "in the middle of a value"
    ]
    assert errors[1] == errors[0]


def test_a_skipped_bad_export_is_the_local_engines_counted_reject(tmp_path: Path) -> None:
    exports = bad_exports(tmp_path)
    for engine in ("local", "ray"):
        code, err = run_chat_on(exports, tmp_path / engine, engine, "--skip-bad-files")
        assert code == 0, err
    assert shards_joined(tmp_path / "ray") == outputs(tmp_path / "local")
    assert rejects(tmp_path / "ray") == rejects(tmp_path / "local")
    assert any('"unreadable_file"' in line for line in rejects(tmp_path / "ray"))


def test_chat_reads_every_export_in_its_own_task_and_writes_the_local_rows(
    tmp_path: Path,
) -> None:
    folders = []
    for engine, extra in (("local", []), ("ray", ["--shard-rows", "7"])):
        out = tmp_path / engine
        out.mkdir()
        code, _, err = run_main(
            "chat", FIXTURES / "chat", "--me", "Colin", "--no-pii", "--out", out / "train.jsonl",
            "--set", "read_chat.batch_rows=40", "--engine", engine, *extra, "-q",
        )  # fmt: skip
        assert code == 0, err
        folders.append(out)
    local, on_ray = folders
    assert shards_joined(on_ray) == outputs(local)
    report = json.loads((on_ray / "train.report.json").read_text())
    local_report = json.loads((local / "train.report.json").read_text())
    assert report["details"]["read_chat"] == local_report["details"]["read_chat"]
    assert report["details"]["read_chat"]["files"] > 5
    assert len(report["details"]["write_conversations"]["shards"]["train"]) > 1


def test_cleaning_shards_into_their_own_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    run(folder, [CONVERSATIONS], clean_stages(), shard_rows=5)
    before = snapshot(folder)
    code, _, err = run_main(
        "clean", folder, "--no-pii", "--out", folder / "train.jsonl", "--engine", "ray", "-q"
    )
    assert code == 2
    assert "this input is a shard of --out" in err
    assert snapshot(folder) == before
