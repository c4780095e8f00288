"""The dataset card: loads with huggingface_hub, datasets picks up the splits, merging keeps a card."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dataprep.report.card import BEGIN, END, merge_card
from tests.conftest import run_main
from tests.report.conftest import run_chat

huggingface_hub = pytest.importorskip("huggingface_hub", reason="the report extra is not installed")


def test_chat_run_card_loads_and_load_dataset_finds_every_split(chat_output: Path) -> None:
    datasets = pytest.importorskip("datasets")
    readme = chat_output.parent / "README.md"
    card = huggingface_hub.DatasetCard.load(readme)
    meta = card.data.to_dict()
    assert meta["license"] == "other"
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    assert "en" in meta["language"]
    splits = {f["split"]: f["path"] for f in meta["configs"][0]["data_files"]}
    assert splits == {"test": "test.jsonl", "train": "train.jsonl", "val": "val.jsonl"}
    for heading in (
        "## Provenance",
        "## Stages and filters",
        "## PII policy and counts",
        "## Consent",
    ):
        assert heading in card.text
    loaded = datasets.load_dataset(str(chat_output.parent))
    assert set(loaded) == {"train", "val", "test"}
    for split, path in splits.items():
        lines = (chat_output.parent / path).read_text(encoding="utf-8").splitlines()
        assert loaded[split].num_rows == len(lines)
    # Only file names and counts: no row text and no input path reaches the card.
    assert str(chat_output.parent) not in readme.read_text(encoding="utf-8")


def test_merging_keeps_the_owners_sections_and_metadata(chat_output: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(chat_output.parent, folder)
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    # The owner fills in the license and consent, adds a key and a section of their own.
    text = text.replace("license: other", "license: cc-by-4.0").replace(
        "license_name: to-be-filled-in\n",
        "license_name: to-be-filled-in\nannotations_creators:\n- expert-generated\n",
    )
    text = text.replace(
        "_To fill in before publishing:_", "Everyone in these chats agreed in writing."
    )
    text += "\n## Our notes\n\nKept for the support bot v2.\n"
    readme.write_text(text, encoding="utf-8")
    code, _, err = run_main("report", folder, "--card")
    assert code == 0, err
    merged = huggingface_hub.DatasetCard.load(readme)
    meta = merged.data.to_dict()
    assert meta["license"] == "cc-by-4.0"
    assert meta["annotations_creators"] == ["expert-generated"]
    assert meta["configs"][0]["data_files"]
    assert "Everyone in these chats agreed in writing." in merged.text
    assert "## Our notes\n\nKept for the support bot v2." in merged.text
    assert merged.text.count(BEGIN) == 1 and merged.text.count(END) == 1


def test_a_readme_that_is_not_a_card_is_left_alone() -> None:
    assert (
        merge_card("# My project\n\nNot a dataset card.\n", {"license": "other"}, "block") is None
    )


def test_chat_run_into_a_folder_with_a_plain_readme_warns_and_keeps_it(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    (tmp_path / "README.md").write_text("# My project\n", encoding="utf-8")
    out = tmp_path / "train.jsonl"
    code, _, err = run_main(
        "chat", FIXTURES / "chat" / "generic", "--me", "Colin", "--out", out, "--no-pii"
    )
    assert code == 0, err
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "# My project\n"
    assert "is not a dataset card" in " ".join(err.split())


def test_no_card_and_no_html_report_write_neither(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    out = tmp_path / "train.jsonl"
    run_chat(FIXTURES / "chat" / "generic", out, "--no-card", "--no-html-report")
    assert not (tmp_path / "README.md").exists()
    assert not (tmp_path / "train.report.html").exists()
    assert (tmp_path / "train.report.json").is_file()


@pytest.mark.model
def test_voice_run_card_loads_and_load_dataset_reads_the_manifest(voice_output: Path) -> None:
    datasets = pytest.importorskip("datasets")
    card = huggingface_hub.DatasetCard.load(voice_output / "README.md")
    meta = card.data.to_dict()
    assert meta["task_categories"] == ["text-to-speech"]
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "nemo/manifest.jsonl"}]
    loaded = datasets.load_dataset(str(voice_output))
    manifest = (voice_output / "nemo" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert list(loaded) == ["train"] and loaded["train"].num_rows == len(manifest)
    assert "filter_clips" in card.text and "low_logprob" in card.text
