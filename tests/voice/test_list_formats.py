"""The voice list formats have one registry, read by the writers, the stage, the CLI, the
report page and the docs."""

from __future__ import annotations

from tests.conftest import REPO, run_main
from tests.formats.test_registry import SRC, _literals, _python_files, _strings

from dataprep.voice import writers
from dataprep.voice.list_formats import DEFAULT_FORMATS, FORMAT_NAMES, LIST_FORMATS
from dataprep.voice.write_stages import WriteLists


def test_voice_format_names_are_written_once() -> None:
    """Only the registry and the writer dispatch (checked below) spell several format names."""
    owners = {
        path.relative_to(SRC).as_posix()
        for path in _python_files()
        for node in _literals(path)
        if len(set(FORMAT_NAMES) & set(_strings(node))) >= 2
    }
    assert owners == {"voice/list_formats.py", "voice/writers.py"}, owners


def test_every_registered_format_has_a_writer_and_a_folder() -> None:
    assert set(writers._WRITERS) == set(FORMAT_NAMES)
    assert writers.FORMATS == FORMAT_NAMES
    assert set(writers.FORMAT_FOLDERS) == set(FORMAT_NAMES)
    assert set(DEFAULT_FORMATS) <= set(FORMAT_NAMES)


def test_the_stage_parameter_and_cli_take_their_choices_from_the_registry() -> None:
    schema = WriteLists.Params.model_json_schema()["properties"]["formats"]
    assert schema["items"]["enum"] == list(FORMAT_NAMES)
    assert schema["default"] == list(DEFAULT_FORMATS)
    code, out, _ = run_main("voice", "--help")
    assert code == 0
    assert ", ".join(FORMAT_NAMES) in " ".join(out.split())
    code, _, err = run_main("voice", str(REPO / "fixtures"), "--format", "kaldi")
    assert code == 2 and "unknown format 'kaldi'" in err
    assert ", ".join(FORMAT_NAMES) in err


def test_the_report_page_and_docs_know_every_format() -> None:
    from dataprep.report.voice import _FORMAT_FILES

    assert set(_FORMAT_FILES) == set(LIST_FORMATS)
    docs = (REPO / "docs/voice.md").read_text(encoding="utf-8")
    for name in FORMAT_NAMES:
        assert f"| `{name}` |" in docs, f"docs/voice.md has no loading row for {name}"
