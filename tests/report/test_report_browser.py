"""The report pages in a real headless chromium (Debian's package), with the network cut off.

Every plot must paint one mark per non-empty bin, the sample browser must page and search, audio
must load, the exported edits must be what ``apply-edits`` accepts, nothing may be logged as an
error, and a 390 px phone screen must not scroll sideways. Screenshots go to the artifacts folder.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, run_main
from tests.report.browser import CHART_CHECK_JS, console_errors, open_browser
from tests.report.conftest import ARTIFACTS, write_multilingual
from tests.report.test_report_units import embedded_data

pytestmark = pytest.mark.slow


def load(driver: Any, page: Path) -> None:
    driver.get(page.as_uri())
    for _ in range(100):
        if driver.execute_script("return document.body.getAttribute('data-ready')") == "1":
            return
        time.sleep(0.05)
    raise AssertionError(f"{page} never became ready; console: {console_errors(driver)}")


def screenshot(driver: Any, name: str, width: int) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = min(int(driver.execute_script("return document.body.scrollHeight")), 4000)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def check_charts(driver: Any) -> dict[str, dict[str, int]]:
    charts = driver.execute_script(CHART_CHECK_JS)
    assert charts
    for chart_id, found in charts.items():
        assert found["expected"] > 0, chart_id
        assert found["marks"] == found["expected"], (chart_id, found)
        assert found["painted"] == found["expected"], (chart_id, found)
    return charts


def no_horizontal_scroll_at_phone_width(driver: Any, page: Path, name: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )
    load(driver, page)
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]"
    )
    assert widths[2] == 390
    assert widths[0] <= widths[1], widths
    check_charts(driver)
    screenshot(driver, f"{name}-phone", 390)


def sample_page_state(driver: Any) -> tuple[str, list[str]]:
    info = driver.find_element("id", "sample-page").text
    rows = [
        e.get_attribute("data-row")
        for e in driver.find_elements("css selector", "#sample-list article")
    ]
    return info, rows


def test_chat_page_plots_pages_searches_and_fits_a_phone(
    chat_output: Path, browser_paths: tuple[str, str]
) -> None:
    page = chat_output.with_name("train.report.html")
    assert page.is_file()
    data = None
    with open_browser() as driver:
        load(driver, page)
        data = driver.execute_script("return window.dataprepReport.data")
        charts = check_charts(driver)
        assert {
            "chars_per_sample",
            "turns_per_sample",
            "chars_per_role",
            "rejects_by_reason",
        } <= set(charts)
        # Paging: 10 rows a page, the next page shows the next rows.
        info, first = sample_page_state(driver)
        assert info.startswith("page 1 of 3") and len(first) == 10
        driver.find_element("id", "sample-next").click()
        info, second = sample_page_state(driver)
        assert info.startswith("page 2 of 3") and not set(first) & set(second)
        # Search: every shown row contains the term; a term nobody wrote finds nothing.
        search = driver.find_element("id", "sample-search")
        search.send_keys("Porto")
        info, found = sample_page_state(driver)
        assert found and all(
            "porto"
            in driver.find_element("css selector", f'article[data-row="{row}"]').text.lower()
            for row in found
        )
        search.clear()
        search.send_keys("zzqx-no-such-text")
        info, found = sample_page_state(driver)
        assert found == [] and "0 matching rows" in info
        assert console_errors(driver) == []
        screenshot(driver, "text-chat-laptop", 1280)
        no_horizontal_scroll_at_phone_width(driver, page, "text-chat")
        assert console_errors(driver) == []
    assert data["samples"]["total"] == sum(s["rows"] for s in data["overview"]["splits"])
    assert all(row["source"] for row in data["samples"]["rows"])


def test_a_finding_links_to_its_row_in_the_sample_browser(
    tmp_path: Path, browser_paths: tuple[str, str]
) -> None:
    folder = write_multilingual(tmp_path / "data", copies=6)
    train = folder / "train.jsonl"
    lines = train.read_text(encoding="utf-8").splitlines()
    train.write_text(
        "\n".join([*lines, lines[0]]) + "\n", encoding="utf-8"
    )  # D001 on the last line
    page = tmp_path / "report.html"
    code, _, err = run_main("report", folder, "--out", page)
    assert code == 0, err
    target = f"train:{len(lines) + 1}"
    with open_browser() as driver:
        load(driver, page)
        assert target not in sample_page_state(driver)[1]  # not on the first page
        link = driver.find_element("css selector", f'#findings a[data-row="{target}"]')
        link.click()
        _, shown = sample_page_state(driver)
        assert shown == [target]
        card = driver.find_element("css selector", f'article[data-row="{target}"]')
        assert "highlight" in card.get_attribute("class")
        assert console_errors(driver) == []


def test_dpo_page_compares_chosen_and_rejected(
    tmp_path: Path, browser_paths: tuple[str, str]
) -> None:
    source = FIXTURES / "validate" / "good" / "dpo" / "explicit_conversational.jsonl"
    page = tmp_path / "dpo.html"
    code, _, err = run_main("report", source, "--out", page)
    assert code == 0, err
    with open_browser() as driver:
        load(driver, page)
        charts = check_charts(driver)
        chart = driver.execute_script("return window.dataprepReport.charts.preference_chars.chart")
        assert [s["label"] for s in chart["series"]] == ["chosen", "rejected"]
        assert charts["preference_chars"]["expected"] == sum(
            1 for s in chart["series"] for c in s["counts"] if c
        )
        assert console_errors(driver) == []
        screenshot(driver, "text-dpo-laptop", 1280)


def read_lists(folder: Path) -> dict[str, str]:
    """Every list format's files, read as one text per format (wherever the layout puts them)."""
    from dataprep.report.voice import VoiceFolder

    found = VoiceFolder(folder).list_files()
    assert set(found) == {"gpt_sovits", "ljspeech", "nemo", "audiofolder"}
    return {
        name: "".join(p.read_text(encoding="utf-8") for p in files) for name, files in found.items()
    }


@pytest.mark.model
def test_voice_page_plays_clips_and_its_edits_apply_to_every_list(
    voice_output: Path, tmp_path: Path, browser_paths: tuple[str, str]
) -> None:
    # A copy of the run's folder with its recordings beside it: the page's relative paths hold.
    shutil.copytree(voice_output.parent, tmp_path / "run")
    folder = tmp_path / "run" / voice_output.name
    page = folder / "report.html"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    clips = [json.loads(line) for line in (folder / "clips.jsonl").read_text().splitlines()]
    with open_browser(downloads=downloads) as driver:
        load(driver, page)
        charts = check_charts(driver)
        assert {"duration", "avg_logprob", "no_speech_prob", "chars_per_second"} <= set(charts)
        # Worst log-probability first.
        shown = [
            e.get_attribute("data-clip")
            for e in driver.find_elements("css selector", "#clip-list article")
        ]
        by_logprob = sorted(clips, key=lambda c: c["avg_logprob"])
        assert shown[0] == f"wavs/{Path(by_logprob[0]['clip_path']).name}"
        # The first player loads its clip and reports the clip's duration.
        duration = driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const audio = document.querySelector('#clip-list audio');
            if (audio.readyState >= 1) return done(audio.duration);
            audio.addEventListener('loadedmetadata', () => done(audio.duration));
            audio.addEventListener('error', () => done(-1));
            """
        )
        assert duration == pytest.approx(by_logprob[0]["duration"], abs=0.05)
        # Rejected clips play their span of the source recording.
        rejected = driver.find_elements("css selector", "#rejected-list audio")
        assert rejected and all("#t=" in a.get_attribute("src") for a in rejected)
        rejected_duration = driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const audio = document.querySelector('#rejected-list audio');
            audio.preload = 'metadata'; audio.load();
            audio.addEventListener('loadedmetadata', () => done(audio.duration));
            audio.addEventListener('error', () => done(-1));
            """
        )
        assert rejected_duration > 0
        # Proofread: fix the first transcript, mark the second clip bad, export.
        cards = driver.find_elements("css selector", "#clip-list article")
        fixed_clip, bad_clip = (
            cards[0].get_attribute("data-clip"),
            cards[1].get_attribute("data-clip"),
        )
        box = cards[0].find_element("css selector", "textarea")
        box.clear()
        box.send_keys("A corrected | transcript.")
        cards[1].find_element("css selector", "input.mark-bad").click()
        assert driver.find_element("id", "edit-count").text == "2 edited clips"
        # A reload keeps the edits (saved in the browser until exported and applied).
        load(driver, page)
        assert driver.find_element("id", "edit-count").text == "2 edited clips"
        first = driver.find_element("css selector", f'article[data-clip="{fixed_clip}"]')
        assert first.find_element("css selector", "textarea").get_attribute("value") == (
            "A corrected | transcript."
        )
        screenshot(driver, "voice-laptop", 1280)
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.find_element("id", "export-edits").click()
        exported = downloads / "edits.json"
        for _ in range(100):
            if exported.is_file() and exported.stat().st_size:
                break
            time.sleep(0.05)
        assert console_errors(driver) == []
        no_horizontal_scroll_at_phone_width(driver, page, "voice")
    edits = json.loads(exported.read_text(encoding="utf-8"))
    assert edits["edits"] == [
        {"clip": bad_clip, "bad": True},
        {"clip": fixed_clip, "text": "A corrected | transcript."},
    ] or edits["edits"] == [
        {"clip": fixed_clip, "text": "A corrected | transcript."},
        {"clip": bad_clip, "bad": True},
    ]
    before = read_lists(folder)
    code, _, err = run_main("voice", "apply-edits", folder, exported)
    assert code == 0, err
    after = read_lists(folder)
    bad_name, fixed_name = Path(bad_clip).name, Path(fixed_clip).name
    for name, text in after.items():
        assert text != before[name], name
        assert "A corrected transcript." in text, name
        assert bad_name not in text and bad_name.rsplit(".", 1)[0] not in text, name
    rows = {
        Path(r["clip_path"]).name: r
        for r in map(json.loads, (folder / "clips.jsonl").read_text().splitlines())
    }
    assert rows[bad_name]["excluded"] == "marked_bad_in_review"
    assert rows[fixed_name]["edits"][0]["after"] == "A corrected transcript."
    # The refreshed page shows the edit and still lists the run's rejected clips.
    refreshed = embedded_data(page)
    assert "A corrected transcript." in [c["text"] for c in refreshed["clips"]]
    reasons = {r["reason"] for r in refreshed["rejected"]}
    assert "marked_bad_in_review" in reasons and "filter_clips.low_logprob" in reasons
    # Applying the same edits again changes nothing.
    code, _, err = run_main("voice", "apply-edits", folder, exported)
    assert code == 0 and "0 transcript(s) changed, 0 clip(s) marked bad" in err
    assert read_lists(folder) == after
