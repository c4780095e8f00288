"""One self-contained HTML file: the data as JSON, uPlot and the page script inline.

Nothing is fetched at view time (no CDN, no fonts), so the page works offline and can be
mailed or archived with the dataset. Voice audio is referenced by relative path, not copied.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import IO, Any

__all__ = ["render_page", "write_page"]

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dataprep {version}">
<title>{title}</title>
<style>{uplot_css}
{style}</style>
</head>
<body>
<header class="page"><h1>{title}</h1><p>{subtitle}</p></header>
<nav class="toc">{toc}</nav>
<main id="app"></main>
<script type="application/json" id="report-data">{data}</script>
<script>{uplot_js}</script>
<script>{app_js}</script>
</body>
</html>
"""

_TOC = {
    "text": [
        ("overview", "Overview"),
        ("funnel", "Funnel"),
        ("distributions", "Distributions"),
        ("findings", "Findings"),
        ("samples", "Samples"),
    ],
    "voice": [
        ("overview", "Overview"),
        ("funnel", "Funnel"),
        ("distributions", "Distributions"),
        ("clips", "Clips"),
        ("rejected", "Rejected"),
    ],
}


@cache
def _asset(name: str) -> str:
    return (resources.files("dataprep.report") / "assets" / name).read_text(encoding="utf-8")


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: "</" and the HTML comment openers cannot end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render_page(data: dict[str, Any]) -> str:
    from dataprep.runner import versions

    kind = data["kind"]
    title = f"dataprep report: {data['title']}"
    subtitle = (
        "Voice dataset: listen, proofread, export edits."
        if kind == "voice"
        else "Text dataset: overview, distributions, validate findings and a sample browser."
    )
    toc = " ".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in _TOC[kind])
    return _TEMPLATE.format(
        version=html.escape(str(versions().get("dataprep") or "")),
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        toc=toc,
        uplot_css=_asset("uPlot.min.css"),
        style=_asset("style.css"),
        data=_json_for_script(data),
        uplot_js=_asset("uPlot.iife.min.js"),
        app_js=_asset("app.js"),
    )


def write_page(data: dict[str, Any], handle: IO[str]) -> int:
    """Write the page; returns its size in characters."""
    text = render_page(data)
    handle.write(text)
    return len(text)
