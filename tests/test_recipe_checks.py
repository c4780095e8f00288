"""Recipes are checked before they run: table order, CLI shortcuts, inputs; no model loads first."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataprep.errors import ConfigError
from dataprep.recipe import Recipe, StageSpec, load_recipe
from dataprep.registry import stage_classes
from dataprep.runner import build_stages
from tests.conftest import FIXTURES, run_main

CHAT = Path(__file__).resolve().parent.parent / "pipelines" / "chat.yaml"


@pytest.fixture
def setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every registered stage's ``setup()`` (where models load) records its stage name instead."""
    called: list[str] = []
    for name, cls in stage_classes().items():

        def record(self: object, ctx: object, name: str = name) -> None:
            called.append(name)

        monkeypatch.setattr(cls, "setup", record)
    return called


def _recipe_file(tmp_path: Path, stages: list[dict[str, object]], name: str = "mine") -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": name, "stages": stages}), encoding="utf-8")
    return path


def _chat_stages() -> list[dict[str, object]]:
    stages: list[dict[str, object]] = yaml.safe_load(CHAT.read_text(encoding="utf-8"))["stages"]
    return stages


def _one_line_error(args: list[object]) -> str:
    code, _, err = run_main(*args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_misordered_recipe_names_both_stages_before_any_setup(
    tmp_path: Path, setups: list[str]
) -> None:
    stages = _chat_stages()
    dedupe = next(s for s in stages if s["stage"] == "dedupe")
    stages.remove(dedupe)
    stages.insert(2, dedupe)  # after clean_messages: it would get messages, not samples
    recipe = _recipe_file(tmp_path, stages)
    out = tmp_path / "train.jsonl"
    err = _one_line_error(
        ["chat", FIXTURES / "chat", "--me", "Colin", "--out", out, "--recipe", recipe]
    )
    assert "dedupe needs samples" in err and "clean_messages gives it messages" in err
    assert "put it after build_samples" in err
    assert setups == [] and not out.exists()


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["dedupe", "read_conversations", "write_records"], "dedupe needs samples"),
        (["read_conversations", "read_chat", "write_records"], "read_chat is a source stage"),
        (["read_conversations", "write_records", "split"], "split comes after write_records"),
        (["read_chat", "write_records"], "write_records needs records"),
    ],
    ids=["no-source-first", "two-sources", "after-sink", "wrong-table"],
)
def test_table_order_errors(order: list[str], message: str) -> None:
    recipe = Recipe(name="r", stages=[StageSpec(stage=name) for name in order])
    with pytest.raises(ConfigError, match=message):
        recipe.check()


def test_disabled_stages_do_not_count_and_records_are_samples() -> None:
    recipe = Recipe(
        name="r",
        stages=[
            StageSpec(stage="read_conversations"),
            StageSpec(stage="build_samples", enabled=False),
            StageSpec(stage="dedupe"),
            StageSpec(stage="write_conversations"),
        ],
    )
    assert [step.key for step in recipe.check()][-1] == "write_conversations"


@pytest.mark.parametrize(
    ("flag", "stage"),
    [("--no-split", "split"), ("--no-pii", "scrub_pii"), ("--no-dedupe", "dedupe")],
    ids=["no-split", "no-pii", "no-dedupe"],
)
def test_shortcut_without_its_stage_is_a_clear_error(
    tmp_path: Path, setups: list[str], flag: str, stage: str
) -> None:
    recipe = _recipe_file(tmp_path, [s for s in _chat_stages() if s["stage"] != stage])
    out = tmp_path / "train.jsonl"
    args = ["chat", FIXTURES / "chat", "--me", "Colin", "--out", out, "--recipe", recipe, flag]
    err = _one_line_error(args)
    capability = {"scrub_pii": "pii"}.get(stage, stage)
    assert f"{flag}: recipe 'mine' has no {capability} stage" in err
    assert setups == []


def test_shortcuts_find_stages_by_kind_not_by_id(tmp_path: Path) -> None:
    stages = _chat_stages()
    for spec in stages:
        spec["id"] = f"my_{spec['stage']}"
    recipe = load_recipe(_recipe_file(tmp_path, stages))
    from dataprep.commands._safety import apply_safety_options

    options = dict.fromkeys(
        [
            "pii_strategy",
            "pii_entities",
            "names_file",
            "threshold",
            "max_reply_repeats",
            "pii_audit",
        ]
    )
    changed = apply_safety_options(
        recipe.configure("assign_roles", "--me", me=["Colin"]),
        split_ratios="0.8/0.1/0.1",
        no_split=False,
        no_dedupe=True,
        no_pii=False,
        allow_list=(),
        eval_files=(),
        **options,
    )
    assert changed.spec("my_split").params["train"] == 0.8
    assert changed.spec("my_assign_roles").params["me"] == ["Colin"]
    assert changed.spec("my_dedupe").enabled is False


@pytest.mark.parametrize(
    "args",
    [
        ["chat", "no/such/exports", "--me", "Colin", "--out", "{out}"],
        ["clean", "no_such.jsonl", "--out", "{out}"],
        ["clean", FIXTURES / "chat" / "generic" / "sharegpt.jsonl", "--names-file", "nope.txt", "--out", "{out}"],
    ],
    ids=["chat-input", "clean-input", "names-file"],
)  # fmt: skip
def test_mistyped_paths_fail_before_any_model_loads(
    tmp_path: Path, setups: list[str], args: list[object]
) -> None:
    out = tmp_path / "train.jsonl"
    err = _one_line_error([str(a).replace("{out}", str(out)) for a in args])
    assert "no such" in err or "not found" in err
    assert setups == [] and not out.exists()


def test_parameters_are_parsed_once() -> None:
    recipe = load_recipe("chat")
    plan = recipe.check()
    assert recipe.plan() is plan
    built = dict(build_stages(recipe))
    for step in plan:
        assert built[step.key].params is step.params
    edited = recipe.with_params("sessionize", gap_minutes=5)
    assert edited.spec("sessionize").params["gap_minutes"] == 5
    assert dict(build_stages(edited))["sessionize"].params.gap_minutes == 5  # type: ignore[attr-defined]


def test_spool_files_live_in_the_run_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--cache-dir`` means caches a rerun reuses; spools go beside the output and are removed."""
    from dataprep.clean import spool

    folders: list[Path | None] = []
    original = spool.Spool.__init__

    def record(self: spool.Spool, folder: Path | None = None) -> None:
        folders.append(folder)
        original(self, folder)

    monkeypatch.setattr(spool.Spool, "__init__", record)
    out = tmp_path / "train.jsonl"
    sharegpt = FIXTURES / "chat" / "generic" / "sharegpt.jsonl"
    code, _, err = run_main("clean", sharegpt, "--out", out, "--no-pii", "-q")
    assert code == 0, err
    # In the output folder's staging area (dataprep.outputs), which goes with the run.
    assert folders and all(
        f is not None
        and f.parent.parent == tmp_path
        and f.parent.name.startswith(".dataprep-staging-")
        for f in folders
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    code, _, err = run_main("clean", sharegpt, "--out", out, "--cache-dir", tmp_path)
    assert code == 2 and "--cache-dir" in err


def test_set_can_turn_a_stage_off() -> None:
    from dataprep.commands._common import apply_overrides

    recipe = apply_overrides(load_recipe("chat"), ["scrub_pii.enabled=false"])
    assert recipe.spec("scrub_pii").enabled is False
    with pytest.raises(ConfigError, match="true or false"):
        apply_overrides(load_recipe("chat"), ["scrub_pii.enabled=maybe"])
