"""Datasets the report tests build once: a chat run's output, a voice run's output folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.bootstrap.conftest import api_key, server  # noqa: F401 (the bootstrap page test's fixtures)
from tests.conftest import FIXTURES, REPO, run_main
from tests.report.browser import find_browser

#: Screenshots and exported files the browser tests keep (CI uploads this folder).
ARTIFACTS = Path(os.environ.get("DATAPREP_TEST_ARTIFACTS", REPO / "test-artifacts")) / "report"

#: One sentence per language the report must measure (languages, n-grams incl. CJK).
MULTILINGUAL = {
    "en": (
        "How do I reset my password?",
        "Open settings, choose account and press reset password.",
    ),
    "de": (
        "Wie setze ich mein Passwort zurück?",
        "Öffne die Einstellungen, wähle Konto und drücke auf Passwort zurücksetzen.",
    ),
    "fr": (
        "Comment réinitialiser mon mot de passe ?",
        "Ouvrez les paramètres, choisissez le compte et appuyez sur réinitialiser.",
    ),
    "es": (
        "¿Cómo restablezco mi contraseña?",
        "Abre la configuración, elige la cuenta y pulsa restablecer la contraseña.",
    ),
    "pt": (
        "Como redefino a minha senha?",
        "Abra as configurações, escolha a conta e toque em redefinir a senha.",
    ),
    "it": (
        "Come reimposto la mia password?",
        "Apri le impostazioni, scegli l'account e premi reimposta la password.",
    ),
    "ru": (
        "Как сбросить мой пароль?",
        "Откройте настройки, выберите учётную запись и нажмите сбросить пароль.",
    ),
    "zh": ("我怎么重置我的密码？", "打开设置，选择账户，然后点击重置密码。"),
}


def write_multilingual(folder: Path, copies: int = 6) -> Path:
    """train/test files of messages rows, ``copies`` rows per language."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in range(copies):
        for code, (question, answer) in MULTILINGUAL.items():
            rows.append(
                {
                    "messages": [
                        {"role": "system", "content": f"Support assistant ({code})."},
                        {"role": "user", "content": question + " " * n},
                        {"role": "assistant", "content": answer},
                    ]
                }
            )
    train, test = rows[: len(rows) - 8], rows[len(rows) - 8 :]
    for name, part in (("train", train), ("test", test)):
        with open(folder / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for row in part:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


def run_chat(source: Path, out: Path, *extra: str | Path) -> str:
    """``dataprep chat SOURCE --me Colin --out OUT --no-pii -q EXTRA...``; returns stderr."""
    code, _, err = run_main("chat", source, "--me", "Colin", "--out", out, "--no-pii", "-q", *extra)
    assert code == 0, err
    return err


@pytest.fixture(scope="session")
def chat_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dataprep chat`` on the bundled and the third-party exports, with the page and card."""
    out = tmp_path_factory.mktemp("chat") / "train.jsonl"
    run_chat(FIXTURES / "chat", out)
    return out


@pytest.fixture(scope="session")
def voice_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``dataprep voice`` run (silero-vad, faster-whisper tiny.en) with some rejects.

    A strict log-probability floor rejects a few clips so the page has rejected clips to play.
    """
    root = tmp_path_factory.mktemp("voice")
    recordings = root / "recordings"
    shutil.copytree(FIXTURES / "voice" / "speakers", recordings)
    out = root / "dataset"
    code, _, err = run_main(
        "voice",
        recordings,
        "--out",
        out,
        "--format",
        "gpt_sovits,ljspeech,nemo,audiofolder",
        "--set",
        "filter_clips.min_avg_logprob=-0.45",
        "-q",
    )
    assert code == 0, err
    return out


@pytest.fixture(scope="session")
def browser_paths() -> tuple[str, str]:
    found = find_browser()
    if found is None:
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    return found
