"""Sharded split files: Hugging Face's names, sidecars in step, one commit with the rest."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.io import SPLITS, split_parts
from dataprep.outputs import OutputSet, staging_leftovers
from dataprep.shards import ShardedSplitWriter, is_shard, shard_prefix
from tests.conftest import FIXTURES, run_main


def write(folder: Path, rows: int, shard_rows: int, *, out: str = "train.jsonl") -> OutputSet:
    """``rows`` rows over train/val (every third to val), records and a sidecar; not committed."""
    outputs = OutputSet()
    records = ShardedSplitWriter(outputs, folder / out, shard_rows)
    sidecar = ShardedSplitWriter(outputs, folder / out, shard_rows, tag="sources.jsonl")
    records.touch(*SPLITS)
    sidecar.touch(*SPLITS)
    batch = pl.DataFrame(
        {"n": list(range(rows)), "split": ["val" if n % 3 == 2 else "train" for n in range(rows)]}
    )
    for part in batch.iter_slices(4):  # several batches, cut anywhere
        for split, frame in split_parts(part):
            records.write_frame(split, frame.select("n"))
            sidecar.write_lines(split, (json.dumps({"id": n}) for n in frame["n"]))
    records.close()
    sidecar.close()
    return outputs


def rows_of(paths: list[Path]) -> list[str]:
    return [line for path in paths for line in path.read_text().splitlines()]


def test_shards_are_named_as_hugging_face_names_them(tmp_path: Path) -> None:
    write(tmp_path, 10, shard_rows=3).commit()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "train-00000-of-00003.jsonl",
            "train-00001-of-00003.jsonl",
            "train-00002-of-00003.jsonl",
            "train-00000-of-00003.sources.jsonl",
            "train-00001-of-00003.sources.jsonl",
            "train-00002-of-00003.sources.jsonl",
            "val-00000-of-00001.jsonl",
            "val-00000-of-00001.sources.jsonl",
            # An empty split still has its one (empty) shard, as it has its empty file locally.
            "test-00000-of-00001.jsonl",
            "test-00000-of-00001.sources.jsonl",
        ]
    )
    assert (tmp_path / "test-00000-of-00001.jsonl").read_text() == ""


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(0, 40), shard_rows=st.integers(1, 9))
def test_shards_concatenate_to_the_single_file_and_sidecars_stay_in_step(
    tmp_path_factory: pytest.TempPathFactory, rows: int, shard_rows: int
) -> None:
    folder = tmp_path_factory.mktemp("shards")
    write(folder, rows, shard_rows).commit()
    for split in ("train", "val"):
        shards = sorted(folder.glob(f"{split}-?????-of-?????.jsonl"))
        sidecars = sorted(folder.glob(f"{split}-?????-of-?????.sources.jsonl"))
        expected = [n for n in range(rows) if (n % 3 == 2) == (split == "val")]
        assert [json.loads(line)["n"] for line in rows_of(shards)] == expected
        assert len(shards) == max(1, -(-len(expected) // shard_rows))
        assert all(len(p.read_text().splitlines()) <= shard_rows for p in shards)
        # The same index holds the same rows in the sidecar.
        assert [s.name.replace(".sources", "") for s in sidecars] == [s.name for s in shards]
        for shard, sidecar in zip(shards, sidecars, strict=True):
            numbers = [json.loads(line)["n"] for line in shard.read_text().splitlines()]
            ids = [json.loads(line)["id"] for line in sidecar.read_text().splitlines()]
            assert ids == numbers


def test_a_rerun_with_another_shard_count_leaves_no_stale_shard(tmp_path: Path) -> None:
    write(tmp_path, 10, shard_rows=2).commit()
    assert len(list(tmp_path.glob("train-*-of-00004.jsonl"))) == 4
    (tmp_path / "notes.jsonl").write_text("kept\n")  # not a shard: never touched
    write(tmp_path, 10, shard_rows=5).commit()
    assert sorted(p.name for p in tmp_path.glob("train-*.jsonl")) == [
        "train-00000-of-00002.jsonl",
        "train-00000-of-00002.sources.jsonl",
        "train-00001-of-00002.jsonl",
        "train-00001-of-00002.sources.jsonl",
    ]
    assert rows_of(sorted(tmp_path.glob("train-?????-of-?????.jsonl"))) == [
        json.dumps({"n": n}, separators=(",", ":")) for n in range(10) if n % 3 != 2
    ]
    assert (tmp_path / "notes.jsonl").read_text() == "kept\n"


def earlier_run(folder: Path) -> dict[str, bytes]:
    write(folder, 10, shard_rows=2).commit()
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_failed_run_leaves_the_earlier_shards_as_they_were(tmp_path: Path) -> None:
    before = earlier_run(tmp_path)
    write(tmp_path, 30, shard_rows=5).discard()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_error_while_publishing_puts_back_the_shards_it_had_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set removes the old run's four train shards; the last rename fails: every file
    of the old set is back, none of the new."""
    before = earlier_run(tmp_path)
    outputs = write(tmp_path, 10, shard_rows=5)
    entries = len(outputs.targets) + 4 * 2  # new files, then 4 stale shards and sidecars
    monkeypatch.setenv("DATAPREP_FAULT", f"rename-{entries}:raise")
    with pytest.raises(Exception, match="previous outputs are unchanged"):
        outputs.commit()
    outputs.discard()  # as a failed run does
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert staging_leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("out", "split", "prefix"),
    [
        ("data/train.jsonl", "train", "train"),
        ("data/train.jsonl", "val", "val"),
        ("data/chats.jsonl", "train", "chats-train"),
        ("data/chats.jsonl", "test", "chats-test"),
    ],
    ids=["train-stem", "train-stem-val", "other-stem", "other-stem-test"],
)
def test_shard_prefix_follows_out(out: str, split: str, prefix: str) -> None:
    assert shard_prefix(out, split) == (Path("data"), prefix)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("train-00000-of-00003.jsonl", True),
        ("chats-val-00002-of-00003.sources.jsonl", True),
        ("train.jsonl", False),
        ("train-0-of-3.jsonl", False),
    ],
)
def test_is_shard(name: str, expected: bool) -> None:
    assert is_shard(name) is expected


def shards_of_fixture(folder: Path, shard_rows: int, records: int | None = None) -> list[str]:
    """The clean fixture (its first ``records``) written as shards, with an empty sidecar per
    shard and a rejects file beside them, which readers of the folder must skip; returns
    the lines written."""
    lines = (FIXTURES / "clean" / "conversations.jsonl").read_text().splitlines()[:records]
    folder.mkdir(exist_ok=True)
    outputs = OutputSet()
    for tag in (None, "sources.jsonl"):
        writer = ShardedSplitWriter(outputs, folder / "train.jsonl", shard_rows, tag=tag)
        writer.write_lines("train", lines if tag is None else ("{}" for _ in lines))
        writer.close()
    outputs.commit()
    (folder / "rejects.jsonl").write_text('{"stage": "dedupe", "reason": "duplicate"}\n')
    return lines


def test_validate_takes_a_folder_or_a_glob_of_shards(tmp_path: Path) -> None:
    shards_of_fixture(tmp_path, 5)
    names = sorted(p.name for p in tmp_path.glob("train-?????-of-?????.jsonl"))
    assert len(names) == 5
    for named in (tmp_path, tmp_path / "train-*-of-*.jsonl"):
        code, out, err = run_main("validate", named, "--output-format", "json")
        assert code in (0, 1), err
        checked = [Path(report["file"]).name for report in json.loads(out)]
        assert checked == names  # the shards in order; no sidecar, no rejects
    code, _, err = run_main("validate", tmp_path / "nothing-*.jsonl")
    assert code == 2 and "no dataset file matches this pattern" in err


def test_clean_reads_a_folder_of_shards_as_the_single_file(tmp_path: Path) -> None:
    lines = shards_of_fixture(tmp_path / "shards", 4)
    (tmp_path / "single.jsonl").write_text("\n".join(lines) + "\n")
    for name, source in (("from-shards", tmp_path / "shards"), ("from-file", "single.jsonl")):
        (tmp_path / name).mkdir()
        code, _, err = run_main(
            "clean", tmp_path / source, "--no-pii", "--no-split", "-q",
            "--out", tmp_path / name / "train.jsonl",
        )  # fmt: skip
        assert code == 0, err
    read = [(tmp_path / name / "train.jsonl").read_text() for name in ("from-shards", "from-file")]
    assert read[0] == read[1] and read[0].count("\n") >= 15


def test_datasets_loads_the_shards_with_the_documented_patterns(tmp_path: Path) -> None:
    """docs/ray.md's ``load_dataset`` call: the ``?????`` pattern takes the shards, in order,
    and not their sidecars."""
    datasets = pytest.importorskip("datasets")
    lines = shards_of_fixture(tmp_path / "data", 5, records=19)  # the ShareGPT records
    loaded = datasets.load_dataset(
        "json",
        data_files={"train": str(tmp_path / "data" / "train-?????-of-?????.jsonl")},
        cache_dir=str(tmp_path / "cache"),
    )
    assert loaded["train"]["id"] == [json.loads(line)["id"] for line in lines]


def test_split_names_keep_the_split_of_shards(tmp_path: Path) -> None:
    from dataprep.report.dataset import split_names

    shards = [Path(f"train-0000{n}-of-00002.jsonl") for n in range(2)]
    shards += [Path("chats-val-00000-of-00001.jsonl")]
    assert split_names(shards) == ["train", "train", "val"]
    # Shards of two prefixes would mix two datasets: named by their stems.
    mixed = [Path("train-00000-of-00001.jsonl"), Path("a-train-00000-of-00001.jsonl")]
    assert split_names(mixed) == ["train-00000-of-00001", "a-train-00000-of-00001"]


def test_the_dataset_card_lists_every_shard_of_a_split(tmp_path: Path) -> None:
    import yaml

    shards_of_fixture(tmp_path, 5)
    (tmp_path / "rejects.jsonl").unlink()
    code, _, err = run_main("report", tmp_path, "--card")
    assert code == 0, err
    header = (tmp_path / "README.md").read_text().split("---\n")[1]
    [config] = yaml.safe_load(header)["configs"]
    names = sorted(p.name for p in tmp_path.glob("train-?????-of-?????.jsonl"))
    assert config["data_files"] == [{"split": "train", "path": names}]


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("train-00000-of-00002.jsonl", True),
        ("val-00001-of-00002.sources.jsonl", True),
        ("other-train-00000-of-00002.jsonl", False),
        ("train.jsonl", False),
    ],
)
def test_an_input_that_is_a_shard_of_out_is_refused(
    tmp_path: Path, name: str, refused: bool
) -> None:
    from dataprep.errors import ConfigError
    from dataprep.shards import refuse_shards_as_inputs

    given = tmp_path / name
    given.write_text("{}\n")
    if refused:
        with pytest.raises(ConfigError, match="this input is a shard of --out"):
            refuse_shards_as_inputs([given], tmp_path / "train.jsonl")
    else:
        refuse_shards_as_inputs([given], tmp_path / "train.jsonl")
    refuse_shards_as_inputs([given], tmp_path / "elsewhere" / "train.jsonl")  # another folder


def test_a_file_source_reads_its_files_in_order_and_combines_them(tmp_path: Path) -> None:
    """The local engine's path through ``FileSource``: every file's batches, in input order,
    through ``combine``."""
    from dataprep.context import RunContext
    from dataprep.stage import FileSource

    class Lines(FileSource):
        name = "lines"

        def files(self, ctx: RunContext) -> list[Path]:
            return list(ctx.inputs)

        def read_file(self, path: Path, ctx: RunContext):  # type: ignore[no-untyped-def]
            for line in path.read_text().splitlines():
                yield pl.DataFrame({"file": [path.name], "line": [line]})

        def combine(self, parts, ctx):  # type: ignore[no-untyped-def]
            yield pl.concat(list(parts))

    inputs = []
    for name, text in (("b.txt", "1\n2\n"), ("a.txt", "3\n")):
        (tmp_path / name).write_text(text)
        inputs.append(tmp_path / name)
    [out] = list(Lines().process(iter(()), RunContext(inputs=inputs)))
    assert out.rows() == [("b.txt", "1"), ("b.txt", "2"), ("a.txt", "3")]


def test_joined_shards_names_each_split_as_the_local_engine_does(tmp_path: Path) -> None:
    from dataprep.shards import joined_shards

    names = [
        "train-00001-of-00002.jsonl",
        "train-00000-of-00002.jsonl",
        "train-00000-of-00002.sources.jsonl",
        "chats-val-00000-of-00001.jsonl",
        "chats-train-00000-of-00001.jsonl",
        "notes.jsonl",
    ]
    for name in names:
        (tmp_path / name).write_text(name + "\n")
    assert joined_shards(tmp_path) == {
        "train.jsonl": b"train-00000-of-00002.jsonl\ntrain-00001-of-00002.jsonl\n",
        "train.sources.jsonl": b"train-00000-of-00002.sources.jsonl\n",
        "chats.jsonl": b"chats-train-00000-of-00001.jsonl\n",
        "chats.val.jsonl": b"chats-val-00000-of-00001.jsonl\n",
    }


def test_a_run_killed_while_publishing_is_rolled_forward_stale_shards_removed(
    tmp_path: Path,
) -> None:
    """SIGKILL after the journal (at the second rename): the next run's ``recover`` completes
    the new set, including the removal of the earlier run's stale shards."""
    import os
    import subprocess
    import sys

    from dataprep.outputs import recover
    from tests.conftest import REPO

    earlier_run(tmp_path)  # four train shards
    child = (
        "import sys; from pathlib import Path; from tests.test_shards import write; "
        "write(Path(sys.argv[1]), 10, shard_rows=5).commit()"
    )
    env = {**os.environ, "DATAPREP_FAULT": "rename-2:sigkill"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path)], env=env, check=False)
    assert done.returncode == -9
    assert staging_leftovers(tmp_path)  # the journal waits for the next run
    recover(tmp_path)
    assert staging_leftovers(tmp_path) == []
    fresh = tmp_path.parent / "fresh"
    fresh.mkdir()
    write(fresh, 10, shard_rows=5).commit()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        p.name: p.read_bytes() for p in fresh.iterdir()
    }
