"""A real headless chromium (Debian's package) driven by selenium, with the network cut off."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is not installed."""
    browser = next((p for n in CHROMIUM_NAMES if (p := shutil.which(n))), None)
    driver = next((p for n in DRIVER_NAMES if (p := shutil.which(n))), None)
    if browser is None and Path("/usr/bin/chromium").exists():
        browser = "/usr/bin/chromium"
    if driver is None and Path("/usr/bin/chromedriver").exists():
        driver = "/usr/bin/chromedriver"
    return (browser, driver) if browser and driver else None


@contextmanager
def open_browser(
    width: int = 1280, height: int = 900, downloads: Path | None = None
) -> Iterator[Any]:
    """A headless chromium with no network: a dead proxy, no DNS, offline emulation."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    assert found is not None
    browser, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--allow-file-access-from-files",
        "--autoplay-policy=no-user-gesture-required",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
            },
        )
    driver_instance = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        driver_instance.execute_cdp_cmd("Network.enable", {})
        driver_instance.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        if downloads is not None:
            driver_instance.execute_cdp_cmd(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(downloads)},
            )
        yield driver_instance
    finally:
        driver_instance.quit()


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


#: For every chart: bins with a count, marks the page says it drew, and how many of those bins
#: show a painted pixel on the canvas at the bar's position (read back from the canvas).
CHART_CHECK_JS = """
const out = {};
for (const [id, entry] of Object.entries(window.dataprepReport.charts)) {
  const u = entry.plot, chart = entry.chart;
  const ctx = u.ctx;
  let expected = 0, painted = 0;
  const k = chart.series.length;
  chart.series.forEach((series, si) => {
    series.counts.forEach((count, bi) => {
      if (!count) return;
      expected += 1;
      let left, right;
      if (chart.kind === 'hist') {
        left = u.valToPos(chart.edges[bi], 'x', true); right = u.valToPos(chart.edges[bi + 1], 'x', true);
      } else {
        left = u.valToPos(bi - 0.4, 'x', true); right = u.valToPos(bi + 0.4, 'x', true);
      }
      const x = Math.round(left + (right - left) * (si + 0.5) / k);
      const base = Math.round(u.valToPos(0, 'y', true));
      const px = ctx.getImageData(x, base - 1, 1, 1).data;
      if (px[3] > 0 && !(px[0] > 240 && px[1] > 240 && px[2] > 240)) painted += 1;
    });
  });
  out[id] = {expected: expected, marks: Number(u.root.getAttribute('data-marks')), painted: painted};
}
return out;
"""
