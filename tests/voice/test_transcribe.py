"""How Whisper's output is mapped back onto clips, with a scripted stand-in for the model.

The real tiny.en model runs in test_voice_model.py; here a fake ``WhisperModel`` returns
chosen segments and words so the mapping, score aggregation, language detection and
chunking rules can be pinned exactly.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from dataprep.errors import ModelLoadError
from dataprep.voice import transcribe as module
from dataprep.voice.transcribe import WhisperTranscriber, resolve_model


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float = 0.9


@dataclass
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: list[Word] = field(default_factory=list)


class FakeWhisper:
    """Returns ``segments`` for the first call, then ``retries`` one call at a time (or
    nothing), and records what it was asked."""

    def __init__(
        self,
        segments: list[Segment],
        multilingual: bool = False,
        retries: list[list[Segment]] | None = None,
    ) -> None:
        self.segments = segments
        self.retries = list(retries or [])
        self.calls: list[dict[str, Any]] = []
        self.model = type("Model", (), {"is_multilingual": multilingual})()

    def detect_language(self, audio: np.ndarray) -> tuple[str, float, list]:
        return "de", 0.93, []

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[list[Segment], None]:
        self.calls.append({"seconds": len(audio) / 16000, **options})
        if len(self.calls) == 1 or not self.retries:
            return (self.segments if len(self.calls) == 1 else []), None
        return self.retries.pop(0), None


def transcriber(fake: FakeWhisper, language: str | None = None) -> WhisperTranscriber:
    instance = WhisperTranscriber.__new__(WhisperTranscriber)
    instance._model = fake
    instance.multilingual = fake.model.is_multilingual
    instance.language = language
    instance.options = {"beam_size": 5}
    instance.identity = "fake"
    return instance


def seconds(n: float) -> np.ndarray:
    return np.zeros(int(n * 16000), dtype=np.float32)


def test_words_go_to_the_clip_they_were_spoken_in_and_scores_follow_their_segments() -> None:
    # Clips of 3 s and 4 s joined: clip 0 is [0, 3), clip 1 is [3, 7).
    segments = [
        Segment(0.1, 4.0, " Hello there. General", -0.2, 0.01, 1.2,
                [Word(0.1, 0.6, " Hello", 0.9), Word(0.7, 1.2, " there.", 0.7),
                 Word(3.3, 3.9, " General", 0.2)]),
        Segment(4.0, 6.8, " Kenobi.", -0.8, 0.30, 1.9, [Word(4.1, 4.9, " Kenobi.", 0.4)]),
    ]  # fmt: skip
    fake = FakeWhisper(segments)
    out = transcriber(fake).transcribe([seconds(3), seconds(4)])
    assert [t.text for t in out] == ["Hello there.", "General Kenobi."]
    assert out[0].avg_logprob == pytest.approx(-0.2)
    assert out[1].avg_logprob == pytest.approx((-0.2 + -0.8) / 2)  # one word from each segment
    assert out[1].no_speech_prob == 0.30
    # The repetition signal is computed on the clip's own text, not taken from the window.
    assert out[1].compression_ratio == pytest.approx(
        len(b"General Kenobi.") / len(zlib.compress(b"General Kenobi."))
    )
    assert (out[0].language, out[0].language_probability) == ("en", 1.0)
    # The wrong-language signal: the mean probability of the clip's own words.
    assert (out[0].word_probability, out[0].word_count) == (pytest.approx(0.8), 2)
    assert (out[1].word_probability, out[1].word_count) == (pytest.approx(0.3), 2)
    assert fake.calls[0]["word_timestamps"] is True and fake.calls[0]["vad_filter"] is False
    assert fake.calls[0]["language"] == "en"


def test_a_clip_without_words_gets_empty_text_and_no_scores() -> None:
    fake = FakeWhisper(
        [
            Segment(
                0.0,
                2.0,
                " Only here.",
                -0.1,
                0.0,
                1.0,
                [Word(0.2, 1.0, " Only"), Word(1.0, 1.5, " here.")],
            )
        ]
    )
    out = transcriber(fake).transcribe([seconds(3), seconds(3)])
    assert out[1].text == "" and out[1].avg_logprob is None and out[1].no_speech_prob is None
    assert [call["seconds"] for call in fake.calls] == [
        6.0,
        3.0,
    ]  # the lone retry found nothing either


def test_a_clip_whose_window_whisper_skipped_is_transcribed_alone() -> None:
    first = [Segment(0.0, 2.0, " Kept.", -0.1, 0.0, 1.0, [Word(0.2, 1.0, " Kept.")])]
    alone = [
        Segment(
            0.0,
            2.5,
            " Found alone.",
            -0.4,
            0.2,
            1.0,
            [Word(0.3, 0.9, " Found"), Word(1.0, 2.0, " alone.")],
        )
    ]
    fake = FakeWhisper(first, retries=[alone])
    out = transcriber(fake).transcribe([seconds(3), seconds(3)])
    assert [t.text for t in out] == ["Kept.", "Found alone."]
    assert out[1].avg_logprob == pytest.approx(-0.4)


def test_segments_without_word_timings_are_placed_by_their_middle() -> None:
    fake = FakeWhisper([Segment(3.5, 5.5, " Late words.", -0.3, 0.1, 1.1)])
    out = transcriber(fake).transcribe([seconds(3), seconds(3)])
    assert [t.text for t in out] == ["", "Late words."]


def test_a_multilingual_model_detects_the_language_and_a_forced_one_wins() -> None:
    fake = FakeWhisper([Segment(0.0, 1.0, " Hallo.", -0.1, 0.0, 1.0)], multilingual=True)
    detected = transcriber(fake).transcribe([seconds(2)])
    assert (detected[0].language, detected[0].language_probability) == ("de", 0.93)
    assert fake.calls[-1]["language"] == "de"
    transcriber(fake, language="en").transcribe([seconds(2)])
    assert fake.calls[-1]["language"] == "en"


def test_long_inputs_go_to_whisper_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "MAX_CHUNK_SECONDS", 10.0)
    fake = FakeWhisper([])
    out = transcriber(fake).transcribe([seconds(4)] * 7)
    assert len(out) == 7
    # Four joined calls (8, 8, 8, 4 s), each followed by lone retries of its wordless clips.
    assert [call["seconds"] for call in fake.calls] == [8.0, 4.0, 4.0] * 3 + [4.0, 4.0]


@pytest.mark.parametrize(
    ("model", "message"),
    [("./no/such/dir", "no such model directory"), ("/tmp", "no model.bin")],
    ids=["missing-path", "folder-without-model"],
)
def test_bad_model_paths_fail_with_the_offline_options(model: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message) as caught:
        resolve_model(model)
    assert "--model /path/to/ctranslate2-dir" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "looping"),
    [
        ("Open the window and let the fresh air into the room.", False),
        ("the the the the the the the the the the the the the the the the", True),
        ("I said no. I said no. I said no. I said no. I said no. I said no.", True),
    ],
    ids=["sentence", "word-loop", "phrase-loop"],
)
def test_clip_compression_ratio_flags_loops_within_a_clip(text: str, looping: bool) -> None:
    ratio = module.compression_ratio(text)
    assert ratio is not None and (ratio > 2.4) == looping
    assert module.compression_ratio("") is None
