"""Benchmark: the wrong-language check of ``dataprep voice`` under the English-only tiny.en.

Runs ``dataprep voice`` (speaker check off: this measures language only) over
fixtures/voice/languages (espeak-ng, 11 languages, two voices each) and fixtures/voice/real
(public-domain and permissively licensed recordings; see fixtures/voice/SOURCES.md), then
counts per clip whether it was rejected as ``wrong_language``. Clips rejected earlier for
another reason (too short, duplicate) are not judged. Truth per clip: the file's language;
``multilingual.mp3`` is English before 30 s and German after (faster-whisper's test file).

Targets: English clips wrongly rejected <= 2 %, non-English clips caught >= 90 %.
Writes benchmarks/results/voice_language.json and the "voice_language" section of RESULTS.md.

    .venv/bin/python benchmarks/bench_voice_language.py   # ~15 minutes on 2 cores (cached after)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "voice_language"
VOICE = REPO / "fixtures" / "voice"
BIN = Path(sys.executable).parent
TARGET_ENGLISH_REJECTED = 0.02
TARGET_OTHER_CAUGHT = 0.90
#: Real recordings that are not English (the rest of fixtures/voice/real is English).
REAL_NOT_ENGLISH = {"cosyvoice_zero_shot_prompt": "zh", "cosyvoice_cross_lingual_prompt": "zh"}


def truth(row: dict) -> str:
    """The spoken language of a clip, from its file."""
    relpath = row["relpath"]
    stem = Path(relpath).stem
    if relpath.startswith(
        ("de-", "fr-", "es-", "pt-", "it-", "ru-", "cmn-", "ja-", "nl-", "pl-", "en-")
    ):
        return relpath.split("-", 1)[0]
    if stem == "multilingual":
        return "en" if row["start"] < 30.0 else "de"
    return REAL_NOT_ENGLISH.get(stem, "en")


def run() -> list[dict]:
    """Every transcribed clip (kept or rejected by filter_clips or later) with its outcome."""
    out = WORK / "out"
    rejects = WORK / "rejects.jsonl"
    command = [
        str(BIN / "dataprep"), "voice", str(VOICE / "languages"), str(VOICE / "real"),
        "--out", str(out), "--rejects", str(rejects), "-q",
        "--set", "check_speaker.enabled=false",
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPO)
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    judged = [
        dict(r, outcome=r["reason"]) for r in rows if r["stage"] in {"filter_clips", "write_clips"}
    ]
    kept = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    return judged + [dict(r, outcome="kept") for r in kept]


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    clips = run()
    by_language: dict[str, Counter[str]] = {}
    for row in clips:
        language = truth(row)
        by_language.setdefault(language, Counter())[
            "wrong_language" if row["outcome"] == "wrong_language" else "other"
        ] += 1
    english = by_language.get("en", Counter())
    others = sum((c for lang, c in by_language.items() if lang != "en"), Counter())
    english_rejected = english["wrong_language"] / max(1, sum(english.values()))
    caught = others["wrong_language"] / max(1, sum(others.values()))
    result = {
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "english_clips": sum(english.values()),
        "english_wrongly_rejected": round(english_rejected, 4),
        "non_english_clips": sum(others.values()),
        "non_english_caught": round(caught, 4),
        "per_language": {k: dict(v) for k, v in sorted(by_language.items())},
        "outcomes_not_english": dict(Counter(r["outcome"] for r in clips if truth(r) != "en")),
        "outcomes_english": dict(Counter(r["outcome"] for r in clips if truth(r) == "en")),
    }
    print(json.dumps(result, indent=2))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "voice_language.json").write_text(json.dumps(result, indent=2) + "\n")
    write_section(result)


def write_section(result: dict) -> None:
    rows = "\n".join(
        f"| {lang} | {sum(c.values())} | {c.get('wrong_language', 0)} |"
        for lang, c in result["per_language"].items()
    )
    ok_en = result["english_wrongly_rejected"] <= TARGET_ENGLISH_REJECTED
    ok_other = result["non_english_caught"] >= TARGET_OTHER_CAUGHT
    section = f"""<!-- voice_language:start -->
## Voice language: wrong-language check with the English-only tiny.en

Measured {result["measured"]} by `benchmarks/bench_voice_language.py`: `dataprep voice` (speaker
check off) over fixtures/voice/languages (espeak-ng, 11 languages x 2 voices) and
fixtures/voice/real (LJ Speech, JFK, silero-vad's and faster-whisper's English test talks, the
German half of faster-whisper's `multilingual.mp3`, CosyVoice's two Chinese prompts).
A clip counts as caught when `filter_clips` rejects it as `wrong_language`.

- English clips wrongly rejected: **{result["english_wrongly_rejected"]:.3f}** of {result["english_clips"]} (target <= {TARGET_ENGLISH_REJECTED}: {"met" if ok_en else "MISSED"}).
- Non-English clips caught: **{result["non_english_caught"]:.3f}** of {result["non_english_clips"]} (target >= {TARGET_OTHER_CAUGHT}: {"met" if ok_other else "MISSED"}).
- Outcomes of non-English clips: {result["outcomes_not_english"]}; of English clips: {result["outcomes_english"]}.

| language | clips judged | rejected as wrong_language |
|---|---|---|
{rows}
<!-- voice_language:end -->"""
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    start, end = (
        text.find("<!-- voice_language:start -->"),
        text.find("<!-- voice_language:end -->"),
    )
    if start != -1 and end != -1:
        text = text[:start] + section + text[end + len("<!-- voice_language:end -->") :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
