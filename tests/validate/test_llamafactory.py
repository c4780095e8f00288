"""--profile llamafactory agrees with LLaMA-Factory's own converter on which rows it keeps.

LLaMA-Factory's ``data/converter.py`` and ``data/parser.py`` are imported from the installed
``llamafactory`` package (0.9.5, installed with ``--no-deps``: its pins do not fit beside our
torch/transformers) under stub parent packages, so only those modules run. Rows are loaded
with ``datasets`` as LLaMA-Factory loads them, converted, and kept or dropped by the check its
processors apply (supervised: odd prompt, one response; pairwise and feedback: two responses).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from dataprep.validate.llamafactory import DatasetAttr, LlamaFactoryRows, load_dataset_info
from dataprep.validate.reader import validate_file
from tests.conftest import FIXTURES, run_main

LF = FIXTURES / "validate" / "llamafactory"
# F010: a string in a mixed-type column that datasets decodes into a number (so it is no text).
SKIPS = {"Y001", "Y002", "Y003", "Y004", "Y005", "F010"}


def _llamafactory() -> tuple[Any, Any]:
    spec = importlib.util.find_spec("llamafactory")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llamafactory is not installed (pip install --no-deps llamafactory==0.9.5)")
    root = spec.submodule_search_locations[0]
    saved = {
        name: sys.modules.get(name)
        for name in (
            "llamafactory",
            "llamafactory.data",
            "llamafactory.extras",
            "peft",
            "peft.utils",
        )
    }
    for name, path in (
        ("llamafactory", root),
        ("llamafactory.data", f"{root}/data"),
        ("llamafactory.extras", f"{root}/extras"),
    ):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
    utils = types.ModuleType("peft.utils")  # extras/constants.py reads two file names from peft
    utils.SAFETENSORS_WEIGHTS_NAME, utils.WEIGHTS_NAME = (
        "adapter_model.safetensors",
        "adapter_model.bin",
    )
    sys.modules.setdefault("peft", types.ModuleType("peft"))
    sys.modules.setdefault("peft.utils", utils)
    try:
        return (
            importlib.import_module("llamafactory.data.converter"),
            importlib.import_module("llamafactory.data.parser"),
        )
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _kept_by_llamafactory(path: Path, entry: dict[str, Any], stage: str) -> dict[int, bool | None]:
    """Row number (1-based) -> kept (True), dropped (False), or raised (None)."""
    datasets = pytest.importorskip("datasets")
    converter_module, parser = _llamafactory()
    attr = parser.DatasetAttr("file", dataset_name=str(path))
    attr.join(entry)
    convert = converter_module.get_dataset_converter(
        attr.formatting, attr, types.SimpleNamespace(media_dir=str(path.parent))
    )
    datasets.disable_progress_bars()
    dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    kept: dict[int, bool | None] = {}
    for index, example in enumerate(dataset, start=1):
        try:
            out = convert(example)
        except Exception:
            kept[index] = None
            continue
        prompt, response = out["_prompt"], out["_response"]
        wanted = 1 if stage == "sft" else 2
        ok = len(prompt) % 2 == 1 and (len(response) == 1 if wanted == 1 else len(response) >= 2)
        kept[index] = ok
    return kept


def _ours(path: Path, entry: dict[str, Any]) -> tuple[set[int], dict]:
    report = validate_file(path, trainer_rows=LlamaFactoryRows(DatasetAttr.from_entry("x", entry)))
    skipped = {f.line for f in report.findings if f.rule in SKIPS and f.line is not None}
    return skipped, report


def _row_number(path: Path) -> dict[int, int]:
    """Row position -> line in the file (JSON Lines here, one row per line)."""
    return {i: i for i in range(1, len(path.read_text().splitlines()) + 1)}


U = {"role": "user", "content": "Hi?"}
A = {"role": "assistant", "content": "Hello."}
S = {"role": "system", "content": "Be brief."}
H = {"from": "human", "value": "Hi?"}
G = {"from": "gpt", "value": "Hello."}
OPENAI_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
}

CASES: dict[str, tuple[list[dict], dict, str]] = {
    "sharegpt-default-tags": (
        [
            {"conversations": [H, G]},
            {"conversations": [H]},
            {"conversations": [G, H]},
            {"conversations": [{"from": "system", "value": "x"}, H, G]},
        ],
        {"formatting": "sharegpt"},
        "sft",
    ),
    # Data in OpenAI roles under the default (human/gpt) tags: every row is an invalid role tag.
    "tags-do-not-match": (
        [
            {
                "conversations": [
                    {"from": "user", "value": "Hi?"},
                    {"from": "assistant", "value": "Yo."},
                ]
            }
        ]
        * 2,
        {"formatting": "sharegpt"},
        "sft",
    ),
    # A tags block without system_tag keeps the system turn in place, where it is invalid.
    "tags-without-system-tag": (
        [{"messages": [S, U, A]}, {"messages": [U, A]}],
        {"formatting": "sharegpt", "columns": {"messages": "messages"}, "tags": OPENAI_TAGS},
        "sft",
    ),
    "tags-with-system-tag": (
        [{"messages": [S, U, A]}, {"messages": [U, A, U]}],
        {
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {**OPENAI_TAGS, "system_tag": "system"},
        },
        "sft",
    ),
    "ranking": (
        [
            {"conversations": [H], "chosen": G, "rejected": {"from": "gpt", "value": "No."}},
            {"conversations": [H, G], "chosen": G, "rejected": G},
            {"conversations": [H], "chosen": "Hello.", "rejected": "No."},
            {"conversations": [H], "chosen": H, "rejected": G},
        ],
        {
            "formatting": "sharegpt",
            "ranking": True,
            "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"},
        },
        "rm",
    ),
    "kto-tag-bool": (
        [{"conversations": [H, G], "label": True}, {"conversations": [H, G], "label": False}],
        {"formatting": "sharegpt", "columns": {"messages": "conversations", "kto_tag": "label"}},
        "kto",
    ),
    "kto-tag-string": (
        [{"conversations": [H, G], "label": "true"}, {"conversations": [H, G], "label": "false"}],
        {"formatting": "sharegpt", "columns": {"messages": "conversations", "kto_tag": "label"}},
        "kto",
    ),
    "kto-tag-int": (
        [{"conversations": [H, G], "label": 1}, {"conversations": [H, G], "label": 0}],
        {"formatting": "sharegpt", "columns": {"messages": "conversations", "kto_tag": "label"}},
        "kto",
    ),
    "alpaca": (
        [
            {"instruction": "Add 2 and 2.", "input": "", "output": "4"},
            {"instruction": "Name a color.", "input": "", "output": {"color": "blue"}},
            {"instruction": "Say hi.", "input": "politely", "output": "Hello."},
        ],
        {},
        "sft",
    ),
    "alpaca-ranking": (
        [
            {"instruction": "Sky?", "chosen": "Blue.", "rejected": "Green."},
            {"instruction": "Sky?", "chosen": ["Blue."], "rejected": "Green."},
        ],
        {
            "ranking": True,
            "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"},
        },
        "rm",
    ),
    "openai": (
        [
            {"messages": [S, U, A]},
            {
                "messages": [
                    U,
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {"type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                    {"role": "tool", "content": "42"},
                    A,
                ]
            },
            {"messages": [U, U, A]},
        ],
        {
            "formatting": "openai",
            "columns": {"messages": "messages"},
            "tags": {
                **OPENAI_TAGS,
                "observation_tag": "tool",
                "function_tag": "function_call",
                "system_tag": "system",
            },
        },
        "sft",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES), ids=str)
def test_skipped_rows_match_llamafactory(name: str, tmp_path: Path) -> None:
    rows, entry, stage = CASES[name]
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    theirs = _kept_by_llamafactory(path, entry, stage)
    skipped, report = _ours(path, entry)
    assert {line for line, ok in theirs.items() if not ok} == skipped, report.findings
    if not any(theirs.values()):
        assert "Y006" in report.counts


DEMOS = json.loads((LF / "dataset_info.json").read_text())


@pytest.mark.parametrize("name", sorted(DEMOS), ids=str)
def test_llamafactory_demo_data_passes(name: str) -> None:
    """LLaMA-Factory's own demo files (JSON arrays) pass with their dataset_info.json entries."""
    entry = DEMOS[name]
    path = LF / entry["file_name"]
    code, out, _ = run_main(
        "validate",
        path,
        "--profile",
        "llamafactory",
        "--dataset-info",
        LF / "dataset_info.json",
        "--output-format",
        "json",
    )
    report = json.loads(out)
    assert code == 0, report["findings"][:3]
    assert report["rows"] == 6 and report["profile"] == "llamafactory"
    stage = (
        "kto" if "kto_tag" in entry.get("columns", {}) else "rm" if entry.get("ranking") else "sft"
    )
    kept = _kept_by_llamafactory_json(path, entry, stage)
    assert all(kept.values())


def _kept_by_llamafactory_json(
    path: Path, entry: dict[str, Any], stage: str
) -> dict[int, bool | None]:
    return _kept_by_llamafactory(path, entry, stage)


def test_dataset_info_entry_is_chosen_by_file_name(tmp_path: Path) -> None:
    attr = load_dataset_info(LF / "dataset_info.json", None, LF / "kto_en_demo.json")
    assert attr.kto_tag == "label" and attr.system_tag is None and attr.role_tag == "role"
    code, _, _ = run_main(
        "validate",
        tmp_path / "x.jsonl",
        "--profile",
        "llamafactory",
        "--dataset-info",
        LF / "dataset_info.json",
    )
    assert code == 2


@pytest.mark.parametrize(
    "fixture",
    [
        "sft/messages",
        "sft/tool_calls",
        "sft/prompt_completion",
        "dpo/explicit",
        "dpo/explicit_conversational",
        "dpo/implicit",
        "kto/unpaired",
        "kto/unpaired_conversational",
        "sft/text",
    ],
)
def test_convert_to_llamafactory_round_trip(fixture: str, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, _, err = run_main(
        "convert",
        FIXTURES / "validate" / "good" / f"{fixture}.jsonl",
        "--to",
        "llamafactory",
        "--out",
        out,
    )
    assert code == 0, err
    info = tmp_path / "out.dataset_info.json"
    assert "file_name" in err and info.exists()
    code, text, _ = run_main(
        "validate",
        out,
        "--profile",
        "llamafactory",
        "--dataset-info",
        info,
        "--output-format",
        "json",
    )
    assert code == 0, json.loads(text)["findings"][:3]
    entry = json.loads(info.read_text())["out"]
    stage = "kto" if "kto_tag" in entry["columns"] else "rm" if entry.get("ranking") else "sft"
    if "text" not in entry["columns"].values():
        assert all(_kept_by_llamafactory(out, entry, stage).values())


def test_tokenizer_preflight_is_skipped_for_other_trainers() -> None:
    pytest.importorskip("transformers")
    path = LF / "dpo_en_demo.json"
    code, out, _ = run_main(
        "validate",
        path,
        "--profile",
        "llamafactory",
        "--dataset-info",
        LF / "dataset_info.json",
        "--tokenizer",
        FIXTURES / "validate" / "tokenizer",
        "--output-format",
        "json",
    )
    assert code == 0 and not any(
        rule.startswith("L") for rule in json.loads(out)["summary"]["by_rule"]
    )


def test_without_dataset_info_the_first_row_decides_the_shape() -> None:
    code, out, _ = run_main(
        "validate", LF / "dpo_en_demo.json", "--profile", "llamafactory", "--output-format", "json"
    )
    report = json.loads(out)
    assert code == 0 and report["format"] == "sharegpt", report["findings"][:3]
    code, out, _ = run_main("validate", LF / "alpaca_en_demo.json", "--output-format", "json")
    # Under auto, alpaca rows are TRL data that needs mapping (F001 with the convert command).
    assert code == 1 and "F001" in json.loads(out)["summary"]["by_rule"]
