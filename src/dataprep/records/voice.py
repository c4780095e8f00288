"""Rows of the annotation lists and manifests ``dataprep voice`` writes, as pydantic models.

Each model documents one trainer's format; the writers build rows through them, so a row
that would break the trainer's parser (a ``|`` inside GPT-SoVITS text, an unsupported
language code) fails here instead of being skipped silently at training time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "GPT_SOVITS_LANGUAGES",
    "RECORD_MODELS",
    "AudioFolderRow",
    "GptSovitsRow",
    "LJSpeechRow",
    "NemoManifestRow",
    "gpt_sovits_language",
]

#: Whisper language code -> the code GPT-SoVITS's ``1-get-text.py`` accepts. It also
#: accepts lower- and mixed-case spellings and ``JP``, and skips every other code.
GPT_SOVITS_LANGUAGES: dict[str, str] = {
    "zh": "ZH",
    "ja": "JA",
    "en": "EN",
    "ko": "KO",
    "yue": "YUE",
}

GptSovitsLanguage = Literal[
    "ZH", "zh", "JA", "ja", "JP", "jp", "EN", "en", "En", "KO", "ko", "Ko", "YUE", "yue", "Yue"
]


def gpt_sovits_language(code: str) -> str | None:
    """The GPT-SoVITS code for a Whisper language code, or None when it has none."""
    return GPT_SOVITS_LANGUAGES.get(code.lower())


def _no_field_breaks(value: str) -> str:
    if "|" in value or "\n" in value or "\r" in value:
        raise ValueError("must not contain '|' or line breaks (they break the list format)")
    return value


class GptSovitsRow(BaseModel):
    """One line of a GPT-SoVITS ``.list`` file: ``wav_path|speaker|LANG|text``.

    ``1-get-text.py`` splits each line on ``|`` into exactly four fields, keys features by the
    wav file's basename (so basenames must be unique) and skips unsupported languages.
    """

    model_config = ConfigDict(extra="forbid")

    wav_path: str = Field(
        min_length=1, description="Path of the clip (absolute, so the list works from anywhere)."
    )
    speaker: str = Field(
        min_length=1, description="Speaker name; GPT-SoVITS trains one model per speaker."
    )
    language: GptSovitsLanguage = Field(description="Language code GPT-SoVITS accepts.")
    text: str = Field(min_length=1, description="Transcript, one line, no '|'.")

    _check_path = field_validator("wav_path", "speaker", "text")(_no_field_breaks)

    def line(self) -> str:
        return f"{self.wav_path}|{self.speaker}|{self.language}|{self.text}"


class LJSpeechRow(BaseModel):
    """One line of LJSpeech's ``metadata.csv``: ``id|transcription|normalized transcription``.

    No header and no quoting; the clip is ``wavs/<id>.wav``. Coqui's ``ljspeech`` formatter
    reads the third column, so both text columns are written.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Clip file name without the .wav extension.")
    text: str = Field(min_length=1, description="Transcription as spoken.")
    normalized_text: str = Field(
        min_length=1, description="Transcription to train on (same text here)."
    )

    _check = field_validator("id", "text", "normalized_text")(_no_field_breaks)

    def line(self) -> str:
        return f"{self.id}|{self.text}|{self.normalized_text}"


class NemoManifestRow(BaseModel):
    """One line of a NeMo-style JSONL manifest (also read by many TTS trainers)."""

    model_config = ConfigDict(extra="allow")

    audio_filepath: str = Field(min_length=1, description="Absolute path of the clip.")
    duration: float = Field(gt=0, description="Clip length in seconds (frames / sample rate).")
    text: str = Field(min_length=1, description="Transcript.")
    speaker: int | None = Field(
        default=None,
        ge=0,
        description="Integer speaker id (NeMo's TTS datasets index speaker embeddings with it).",
    )
    speaker_name: str | None = Field(
        default=None, description="Speaker name; nemo/speakers.json maps names to ids."
    )
    language: str | None = Field(default=None, description="Whisper language code of the clip.")


class AudioFolderRow(BaseModel):
    """One row of a Hugging Face AudioFolder ``metadata.csv`` (beside the clips in ``wavs/``)."""

    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(min_length=1, description="Clip path relative to the metadata file.")
    transcription: str = Field(min_length=1, description="Transcript.")
    speaker: str = Field(description="Speaker name.")
    language: str = Field(description="Whisper language code.")
    duration: float = Field(gt=0, description="Clip length in seconds.")


RECORD_MODELS: dict[str, type[BaseModel]] = {
    "voice_gpt_sovits_list": GptSovitsRow,
    "voice_ljspeech_metadata": LJSpeechRow,
    "voice_nemo_manifest": NemoManifestRow,
    "voice_audiofolder_metadata": AudioFolderRow,
}
