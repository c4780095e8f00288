"""Benchmark: the wrong-language check of ``dataprep voice`` under the English-only tiny.en.

Runs ``dataprep voice`` (speaker check off: this measures language only) over
fixtures/voice/languages (espeak-ng, 11 languages, two voices each) and fixtures/voice/real
(public-domain and permissively licensed recordings; see fixtures/voice/SOURCES.md), then
counts per clip whether it was rejected as ``wrong_language``. Clips rejected earlier for
another reason (too short, duplicate) are not judged. Truth per clip: the file's language
(the name's prefix in a ``languages/`` folder); ``multilingual.mp3`` is English before 30 s
and German after (faster-whisper's test file). Real recordings and espeak-ng speech are
reported apart: the targets are meant for real speech. Also reported: the real recordings held
out while the rules were set (see held_out), and English false rejects on the real English
recordings cut to telephone band (8 kHz mu-law, made under benchmarks/work/).

Targets: English clips wrongly rejected <= 2 %, non-English clips caught >= 90 %.
Writes benchmarks/results/voice_language.json and the "voice_language" section of RESULTS.md.

    .venv/bin/python benchmarks/bench_voice_language.py   # ~18 minutes on 2 shared cores (cached after)
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
#: Real recordings outside real/languages/ that are not English (the rest are English).
REAL_NOT_ENGLISH = {"cosyvoice_zero_shot_prompt": "zh", "cosyvoice_cross_lingual_prompt": "zh"}
#: Name tags of the held-out real recordings (see held_out).
HELD_OUT = ("-rhino", "-vosk-")


def source(row: dict) -> Path:
    """The clip's recording (kept clips carry only the path relative to their input folder)."""
    if "source" in row:
        return Path(row["source"]).resolve()
    real = VOICE / "real" / row["relpath"]
    return real if real.exists() else VOICE / "languages" / row["relpath"]


def is_real(row: dict) -> bool:
    """Whether a clip comes from a real recording (fixtures/voice/real), not espeak-ng."""
    return source(row).is_relative_to(VOICE / "real")


def truth(row: dict) -> str:
    """The spoken language of a clip, from its file: the name's prefix in languages/ folders."""
    path = source(row)
    if path.parent.name == "languages":
        return path.name.split("-", 1)[0]
    if path.stem == "multilingual":
        return "en" if row["start"] < 30.0 else "de"
    return REAL_NOT_ENGLISH.get(path.stem, "en")


def held_out(row: dict) -> bool:
    """Real recordings not used in setting the rules (Picovoice rhino's 16 languages and
    English, vosk-api's English readings): the rules were designed on the rest."""
    return is_real(row) and any(tag in source(row).name for tag in HELD_OUT)


def run(folders: list[Path], work: Path) -> list[dict]:
    """Every transcribed clip (kept or rejected by filter_clips or later) with its outcome."""
    out = work / "out"
    rejects = work / "rejects.jsonl"
    command = [
        str(BIN / "dataprep"), "voice", *map(str, folders),
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


def telephone_english() -> dict:
    """The real English recordings cut to telephone band (8 kHz, mu-law), where tiny.en is
    less sure of English: a harder test of English false rejects."""
    import soundfile as sf

    from dataprep.voice.audio import decode_resampled

    folder = WORK / "telephone" / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((VOICE / "real").rglob("*")):
        if path.suffix not in {".opus", ".wav", ".flac"} or path.stem in {
            "multilingual",
            *REAL_NOT_ENGLISH,
        }:
            continue
        if path.parent.name == "languages" and not path.name.startswith("en-"):
            continue
        target = folder / f"{path.parent.name}-{path.stem}.wav"
        if not target.exists():
            sf.write(target, decode_resampled(path, 8000), 8000, subtype="ULAW")
    clips = run([folder], WORK / "telephone")
    rejected = sum(r["outcome"] == "wrong_language" for r in clips)
    return {
        "english_clips": len(clips),
        "english_wrongly_rejected": round(rejected / max(1, len(clips)), 4),
    }


def summarise(clips: list[dict]) -> dict:
    """English false rejects, non-English caught (as wrong_language) and dropped (any reason)."""
    by_language: dict[str, Counter[str]] = {}
    for row in clips:
        by_language.setdefault(truth(row), Counter())[row["outcome"]] += 1
    english = by_language.get("en", Counter())
    others = sum((c for lang, c in by_language.items() if lang != "en"), Counter())
    english_total, others_total = sum(english.values()), sum(others.values())
    return {
        "english_clips": english_total,
        "english_wrongly_rejected": round(english["wrong_language"] / max(1, english_total), 4),
        "non_english_clips": others_total,
        "non_english_caught": round(others["wrong_language"] / max(1, others_total), 4),
        "non_english_dropped": round(1 - others["kept"] / max(1, others_total), 4),
        "per_language": {k: dict(v) for k, v in sorted(by_language.items())},
    }


def misses(clips: list[dict]) -> list[str]:
    """Real clips judged wrongly: non-English not caught, English rejected as wrong_language."""
    wrong = [r for r in clips if (truth(r) == "en") == (r["outcome"] == "wrong_language")]
    return [
        f"{r['relpath']} {r['start']:.1f}-{r['end']:.1f}s ({truth(r)}, {r['outcome']}): "
        f"{r.get('text', '')[:60]!r}"
        for r in sorted(wrong, key=lambda r: (r["relpath"], r["start"]))
    ]


def verdict(summary: dict) -> str:
    ok_en = summary["english_wrongly_rejected"] <= TARGET_ENGLISH_REJECTED
    ok_other = summary["non_english_caught"] >= TARGET_OTHER_CAUGHT
    return (
        f"English clips wrongly rejected **{summary['english_wrongly_rejected']:.3f}** of "
        f"{summary['english_clips']} (target <= {TARGET_ENGLISH_REJECTED}: "
        f"{'met' if ok_en else 'MISSED'}); non-English clips caught "
        f"**{summary['non_english_caught']:.3f}** of {summary['non_english_clips']} "
        f"(target >= {TARGET_OTHER_CAUGHT}: {'met' if ok_other else 'MISSED'}; dropped for "
        f"any reason: {summary['non_english_dropped']:.3f})"
    )


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    clips = run([VOICE / "languages", VOICE / "real"], WORK)
    real = [r for r in clips if is_real(r)]
    result = {
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "real": summarise(real),
        "real_held_out": summarise([r for r in real if held_out(r)]),
        "telephone_english": telephone_english(),
        "synthetic": summarise([r for r in clips if not is_real(r)]),
        "all": summarise(clips),
        "real_misses": misses(real),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "voice_language.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    write_section(result)


def table(summary: dict) -> str:
    return "\n".join(
        f"| {lang} | {sum(c.values())} | {c.get('wrong_language', 0)} | {c.get('kept', 0)} |"
        for lang, c in summary["per_language"].items()
    )


def write_section(result: dict) -> None:
    misses_text = "\n".join(f"  - {m}" for m in result["real_misses"]) or "  - none"
    phone = result["telephone_english"]
    section = f"""<!-- voice_language:start -->
## Voice language: wrong-language check with the English-only tiny.en

Measured {result["measured"]} by `benchmarks/bench_voice_language.py`: `dataprep voice` (speaker
check off) over fixtures/voice/real (real recordings: LJ Speech, JFK, silero-vad's and
faster-whisper's test talks, CosyVoice's two Chinese prompts and, in `real/languages/`,
Picovoice's rhino, leopard and cheetah test recordings in 16 languages besides English,
F5-TTS's reference voices and vosk-api's story readings; see fixtures/voice/SOURCES.md) and
fixtures/voice/languages (espeak-ng, 11 languages x 2 voices). A clip counts as caught when
`filter_clips` rejects it as `wrong_language`; clips dropped before (too short, duplicate) are
not judged; "dropped for any reason" also counts later filters (low log-probability, pace).

- **Real recordings**: {verdict(result["real"])}.
- Real, held out (rhino, vosk-api; not used in setting the rules): {verdict(result["real_held_out"])}.
- Real English cut to telephone band (8 kHz mu-law): {phone["english_wrongly_rejected"]:.3f} of {phone["english_clips"]} clips wrongly rejected.
- Synthetic (espeak-ng): {verdict(result["synthetic"])}.
- All: {verdict(result["all"])}.
- Real clips judged wrongly:
{misses_text}

Real recordings per language:

| language | clips judged | rejected as wrong_language | kept |
|---|---|---|---|
{table(result["real"])}

Synthetic (espeak-ng) per language:

| language | clips judged | rejected as wrong_language | kept |
|---|---|---|---|
{table(result["synthetic"])}
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
