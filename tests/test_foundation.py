"""The foundation: exceptions, atomic outputs, recipes, the runner's report, lazy imports."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from collections.abc import Iterator

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dataprep
from dataprep.context import RunContext
from dataprep.deps import require
from dataprep.errors import ConfigError, InputError, MissingDependencyError, OutputError, StageError
from dataprep.io import atomic_write, decode_bytes, split_output_paths
from dataprep.recipe import Recipe, StageSpec, load_recipe, parse_override
from dataprep.runner import run_recipe
from dataprep.stage import Stage
from tests.conftest import run_main


def test_public_names_exist():
    for name in dataprep.__all__:
        assert hasattr(dataprep, name), name


def test_cli_import_stays_light():
    code = (
        "import sys, dataprep.cli, dataprep.registry as r; r.stage_classes();"
        "heavy = [m for m in ('torch', 'presidio_analyzer', 'spacy', 'faster_whisper', 'silero_vad',"
        " 'datasketch', 'openai', 'ctranslate2', 'datasets', 'trl') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_imports_neither_polars_nor_pydantic():
    code = "import sys, dataprep.cli; print(','.join(m for m in ('polars', 'pydantic', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_command_has_help():
    from click.testing import CliRunner

    from dataprep.cli import cli

    runner = CliRunner()
    names = cli.list_commands(None)  # type: ignore[arg-type]
    assert {"chat", "stages", "recipes"} <= set(names)
    for name in names:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and (command.help or "").strip(), f"{name} has no help text"


def test_missing_dependency_names_the_install_line():
    with pytest.raises(MissingDependencyError) as info:
        require("no_such_module_xyz", extra="voice")
    assert 'pip install "finetune-dataprep[voice]"' in str(info.value)


class Exploding(Stage):
    name = "exploding"

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        with ctx.outputs.open(ctx.output) as handle:  # type: ignore[arg-type]
            handle.write("partial\n")
        yield pl.DataFrame({"a": [1]})
        raise InputError("broken on purpose", path="x.txt", line=3)


def test_failed_run_leaves_no_output_and_no_temp_files(tmp_path):
    out = tmp_path / "train.jsonl"
    out.write_text("previous\n")
    recipe = Recipe(name="t", stages=[])
    ctx = RunContext(output=out, rejects_path=tmp_path / "rejects.jsonl")
    with pytest.raises(StageError, match=r"\[exploding\] x.txt:3: broken on purpose"):
        run_recipe(
            recipe, ctx, report_path=tmp_path / "report.json", stages=[("exploding", Exploding())]
        )
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_atomic_write_into_missing_directory_is_one_clear_error(tmp_path):
    with (
        pytest.raises(OutputError, match="does not exist"),
        atomic_write(tmp_path / "nope" / "x.jsonl") as handle,
    ):
        handle.write("x")


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path):
    code, _out, err = run_main(
        "chat", tmp_path / "missing", "--me", "x", "--out", tmp_path / "o.jsonl"
    )
    assert code == 2
    assert err.strip().count("\n") == 0
    assert err.startswith("Error: ") and "no such file or directory" in err
    assert "Traceback" not in err


def test_debug_flag_re_raises(tmp_path):
    with pytest.raises(StageError):
        run_main(
            "--debug", "chat", tmp_path / "missing", "--me", "x", "--out", tmp_path / "o.jsonl"
        )


def test_output_in_missing_directory_is_created_and_a_blocked_one_reported(tmp_path):
    export = tmp_path / "c.jsonl"
    export.write_text('{"speaker": "Ann", "text": "hi"}\n')
    code, _, err = run_main("chat", export, "--me", "Ann", "--out", tmp_path / "no" / "o.jsonl")
    assert code == 0, err
    assert (tmp_path / "no" / "o.jsonl").is_file()
    (tmp_path / "blocked").write_text("")
    code, _, err = run_main(
        "chat", export, "--me", "Ann", "--out", tmp_path / "blocked" / "o.jsonl"
    )
    assert code == 2
    assert "in the way" in err


def test_unknown_stage_in_recipe_lists_valid_ones(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: x\nstages:\n  - stage: sessionise\n")
    with pytest.raises(ConfigError) as info:
        load_recipe(path)
    assert "unknown stage 'sessionise'" in str(info.value)
    assert "sessionize" in str(info.value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "name: x\nstages: [{stage: sessionize, params: {gap: 1}}]\n",
            r"sessionize\.gap: unknown parameter",
        ),
        ("name: x\nstages: [{stage: sessionize, params: {gap_minutes: -1}}]\n", "greater than 0"),
        ("name: x\nstages: [{stage: sessionize}, {stage: sessionize}]\n", "appears twice"),
        ("name: x\nstagez: []\n", "stagez"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "must be a mapping"),
    ],
    ids=["unknown-param", "bad-value", "duplicate", "unknown-key", "bad-yaml", "not-mapping"],
)
def test_invalid_recipes(tmp_path, text, match):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_recipe(path)


def test_builtin_recipes_load_and_validate():
    recipe = load_recipe("chat")
    assert recipe.stages[0].stage == "read_chat"
    assert recipe.stages[-1].stage == "write_conversations"


def test_override_parsing():
    assert parse_override("sessionize.gap_minutes=30") == ("sessionize", "gap_minutes", 30)
    assert parse_override("assign_roles.me=[a, b]") == ("assign_roles", "me", ["a", "b"])
    with pytest.raises(ConfigError, match=r"STAGE\.PARAM=VALUE"):
        parse_override("gap=3")


def test_recipe_with_params_ignores_none_and_checks():
    recipe = Recipe(name="x", stages=[StageSpec(stage="sessionize")])
    assert recipe.with_params("sessionize", gap_minutes=None) is recipe
    changed = recipe.with_params("sessionize", gap_minutes=5)
    assert changed.spec("sessionize").params == {"gap_minutes": 5}
    assert recipe.spec("sessionize").params == {}


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_decode_detects_boms_and_utf16(encoding, bom):
    text = "12/03/24, 10:00 - Ann: héllo 你好\n"
    assert decode_bytes(bom + text.encode(encoding), "f.txt") == text


def test_undecodable_bytes_name_file_and_line():
    with pytest.raises(InputError) as info:
        decode_bytes(b"ok\nstill ok\nbad \xff byte\n", "chat.txt")
    assert str(info.value).startswith("chat.txt:3: cannot decode byte 0xff as utf-8")
    assert "--encoding" in str(info.value)


@given(st.text(min_size=0, max_size=200))
def test_utf8_text_round_trips(text):
    assert decode_bytes(text.encode("utf-8"), "f") == text


def test_split_paths_are_distinct_and_train_is_the_output(tmp_path):
    for out in (tmp_path / "train.jsonl", tmp_path / "data.jsonl", tmp_path / "x"):
        paths = split_output_paths(out, ["train", "val", "test"])
        assert paths["train"] == out
        assert len(set(paths.values())) == 3


def test_report_has_recipe_versions_seed_counts_and_timings(tmp_path):
    export = tmp_path / "c.jsonl"
    export.write_text(
        '{"speaker": "Ann", "text": "hi"}\n{"speaker": "Colin", "text": "hey"}\nnot json\n',
        encoding="utf-8",
    )
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "chat",
        export,
        "--me",
        "Colin",
        "--out",
        out,
        "--seed",
        "7",
        "-q",
        "--rejects",
        tmp_path / "rejects.jsonl",
    )
    assert code == 0, err
    report = json.loads((tmp_path / "train.report.json").read_text())
    assert report["seed"] == 7
    assert report["recipe"]["name"] == "chat"
    assert report["versions"]["polars"] == pl.__version__
    assert set(report["stages"]) == {s["stage"] for s in report["recipe"]["stages"]}
    assert report["stages"]["build_samples"]["rows_out"] == 1
    assert all("seconds" in s for s in report["stages"].values())
    assert (
        report["rejects_by_reason"] == {"read_chat.invalid_json": 1} or report["rejects_total"] == 1
    )
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["stage"] == "read_chat" and rejects[0]["source_line"] == 3


def test_many_outputs_are_summarised_per_folder(tmp_path):
    from dataprep.commands._common import describe_outputs

    few = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    assert describe_outputs(few) == [f"wrote {few[0]}", f"wrote {few[1]}"]
    many = [tmp_path / "clips" / f"{i}.wav" for i in range(30)] + [tmp_path / "list.list"]
    assert describe_outputs(many) == [
        f"wrote 1 file in {tmp_path}",
        f"wrote 30 files in {tmp_path / 'clips'}",
    ]


def test_runner_reports_rows_per_stage_to_progress(tmp_path):
    from dataprep.progress import RecordingProgress

    export = tmp_path / "c.jsonl"
    export.write_text('{"speaker": "Ann", "text": "hi"}\n{"speaker": "Colin", "text": "hey"}\n')
    recipe = load_recipe("chat").with_params("assign_roles", me=["Colin"])
    recipe = recipe.model_copy(
        update={
            "stages": [s for s in recipe.stages if s.stage not in {"scrub_pii", "dedupe", "split"}]
        }
    )
    progress = RecordingProgress()
    ctx = RunContext(inputs=[export], output=tmp_path / "o.jsonl", progress=progress)
    run_recipe(recipe, ctx)
    assert progress.totals["stage:read_chat"] == 2
    assert progress.totals["stage:build_samples"] == 1
    assert ("close", "", None) in progress.events


def test_every_command_is_documented_in_the_readme():
    from dataprep.cli import COMMANDS
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"dataprep {name}" in readme, f"README does not mention `dataprep {name}`"


def test_every_stage_has_a_description_and_documented_params():
    from dataprep.registry import stage_classes

    for name, cls in stage_classes().items():
        assert cls.description, name
        for field, info in cls.Params.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


def test_outputs_get_the_usual_file_permissions(tmp_path):
    """Temporary files are owner-only; the renamed outputs follow the umask like any file."""
    import os

    from dataprep.io import OutputSet

    mask = os.umask(0)
    os.umask(mask)
    with atomic_write(tmp_path / "a.jsonl") as handle:
        handle.write("x\n")
    outputs = OutputSet()
    outputs.open(tmp_path / "b.jsonl").close()
    outputs.commit()
    (tmp_path / "plain.txt").write_text("x")
    expected = (tmp_path / "plain.txt").stat().st_mode & 0o777
    assert expected == 0o666 & ~mask
    for name in ("a.jsonl", "b.jsonl"):
        assert (tmp_path / name).stat().st_mode & 0o777 == expected, name
