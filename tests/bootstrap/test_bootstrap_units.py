"""Unit tests of bootstrap's parts; the endpoint is a fake ``ChatModel`` here (the real SDK
against a real server is in test_bootstrap_server.py)."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.bootstrap.cache import RequestCache
from dataprep.bootstrap.client import (
    ChatReply,
    ChatRequest,
    FormatNotSupportedError,
    RetryableError,
)
from dataprep.bootstrap.cost import Budget, Prices
from dataprep.bootstrap.dedupe import SimilarTextIndex, jaccard
from dataprep.bootstrap.jobs import parse_json_reply
from dataprep.bootstrap.limits import RateLimiter, RetryPolicy
from dataprep.bootstrap.run import BootstrapConfig, run_bootstrap
from dataprep.bootstrap.tasks import SftSample, normalise_row, to_output_row
from dataprep.bootstrap.templates import check_template
from dataprep.errors import ConfigError
from tests.bootstrap.conftest import SEEDS
from tests.bootstrap.fake_openai_server import made_up_reply
from tests.conftest import run_main

# -- retry policy and rate limits ------------------------------------------------------


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10], ids=lambda a: f"attempt{a}")
def test_backoff_doubles_with_bounded_jitter(attempt: int) -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0, rng=random.Random(attempt))
    step = min(30.0, 2.0**attempt)
    delays = [policy.delay(attempt) for _ in range(200)]
    assert all(step / 2 <= d <= step for d in delays)
    assert max(delays) - min(delays) > step / 10  # jitter really spreads them


def test_retry_after_is_honoured_with_a_little_jitter() -> None:
    policy = RetryPolicy(base_delay=100.0, rng=random.Random(1))
    delays = [policy.delay(0, retry_after=3.0) for _ in range(100)]
    assert all(3.0 <= d <= 3.4 for d in delays)


class FakeClock:
    """Time that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _acquire_all(limiter: RateLimiter, tokens: list[int]) -> None:
    async def run() -> None:
        for amount in tokens:
            await limiter.acquire(amount)

    asyncio.run(run())


@pytest.mark.parametrize(
    ("rpm", "tpm", "tokens", "expected_seconds"),
    [
        (120, None, [1] * 12, 5.0),  # 2 per second, 2 in the first burst
        (None, 6000, [500] * 5, 20.0),  # 100 tokens per second; each request pays its debt
        (None, 600, [2000], 0.0),  # bigger than the bucket: goes once the bucket is full
        (None, 600, [2000, 10], 200.0),  # ... and the next one waits for the debt
    ],
    ids=["rpm", "tpm", "oversized-first", "oversized-debt"],
)
def test_rate_limiter_spaces_requests(
    rpm: float | None, tpm: float | None, tokens: list[int], expected_seconds: float
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep)
    _acquire_all(limiter, tokens)
    assert clock.now == pytest.approx(expected_seconds, abs=0.01)


def test_rate_limiter_pause_holds_everyone() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.pause(7.5)
    _acquire_all(limiter, [1, 1])
    assert clock.now == pytest.approx(7.5)


# -- money -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2.5,10", Prices(2.5, 10.0)), (" 0.15 , 0.6 ", Prices(0.15, 0.6)), ("0,0", Prices(0, 0))],
    ids=["plain", "spaces", "free"],
)
def test_prices_parse(text: str, expected: Prices) -> None:
    assert Prices.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["2.5", "a,b", "1,2,3", "-1,2", ""], ids=["one", "words", "three", "negative", "empty"]
)
def test_bad_prices_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="IN,OUT"):
        Prices.parse(text)


def test_budget_refuses_what_does_not_fit_and_then_everything() -> None:
    budget = Budget(1.0, Prices(1_000_000, 0))  # a dollar per token, to keep numbers small
    assert budget.try_reserve(0.6)
    assert not budget.try_reserve(0.6)
    assert not budget.try_reserve(0.1)  # once exhausted, nothing new starts
    budget.release(0.6)
    budget.spend(1, 0)
    assert budget.spent == pytest.approx(1.0) and budget.reserved == 0


# -- cache ---------------------------------------------------------------------------------


def _request(content: str = "hello", **changes: Any) -> ChatRequest:
    values: dict[str, Any] = {
        "model": "m",
        "messages": (("user", content),),
        "temperature": 1.0,
        "max_tokens": 10,
    }
    values.update(changes)
    return ChatRequest(**values)


def test_cache_round_trip_is_atomic_and_content_addressed(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path)
    reply = ChatReply("text", "stop", 3, 4, "m")
    assert cache.get(_request()) is None
    cache.put(_request(), reply)
    assert cache.get(_request()) == reply
    assert cache.get(_request(seed=1)) is None and cache.get(_request(temperature=0.5)) is None
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [f"{_request().key}.json"]  # no temporary file left


def test_a_damaged_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path)
    cache.put(_request(), ChatReply("text", "stop", 1, 1, "m"))
    next(tmp_path.rglob("*.json")).write_text('{"reply": ')
    assert cache.get(_request()) is None


# -- parsing, rows, templates ---------------------------------------------------------------

_GOOD = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (json.dumps(_GOOD), None),
        ("```json\n" + json.dumps(_GOOD) + "\n```", None),
        ("Here you go:\n" + json.dumps(_GOOD) + "\nEnjoy!", None),
        ('{"messages": [', "invalid_json"),
        ("no json here", "invalid_json"),
        ('{"messages": [{"role": "user", "content": "q"}]}', "schema_mismatch"),
        (
            '{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]}',
            "schema_mismatch",
        ),
        (json.dumps({**_GOOD, "extra": 1}), "schema_mismatch"),
    ],
    ids=["plain", "fenced", "prose-around", "cut", "none", "too-short", "wrong-order", "extra-key"],
)
def test_parse_json_reply(content: str, reason: str | None) -> None:
    parsed = parse_json_reply(content, SftSample)
    assert parsed.reason == reason
    assert (parsed.sample == _GOOD) == (reason is None)
    assert parsed.repairable == (reason is not None)


@pytest.mark.parametrize(
    ("row", "kind", "style"),
    [
        (
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
            "sft",
            "messages",
        ),
        (
            {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
            "sft",
            "sharegpt",
        ),
        ({"prompt": "q", "chosen": "a", "rejected": "b"}, "dpo", "standard"),
        (
            {
                "prompt": [{"role": "user", "content": "q"}],
                "chosen": [{"role": "assistant", "content": "a"}],
                "rejected": [{"role": "assistant", "content": "b"}],
            },
            "dpo",
            "conversational",
        ),
        ({"prompt": "q", "completion": "a", "label": False}, "kto", "standard"),
    ],
    ids=["messages", "sharegpt", "dpo-standard", "dpo-conversational", "kto"],
)
def test_normalise_row_reads_every_seed_shape(row: dict[str, Any], kind: str, style: str) -> None:
    seed = normalise_row(row, 1)
    assert not isinstance(seed, str)
    assert (seed.kind, seed.style) == (kind, style)


@pytest.mark.parametrize(
    "row",
    [
        [1, 2],
        {"text": "x"},
        {"messages": [{"role": "narrator", "content": "x"}]},
        {"prompt": "q", "completion": "a", "label": "yes"},
    ],
    ids=["not-object", "unknown-shape", "bad-role", "string-label"],
)
def test_normalise_row_explains_what_it_cannot_read(row: Any) -> None:
    assert isinstance(normalise_row(row, 1), str)


def test_output_rows_follow_the_seed_style() -> None:
    assert to_output_row(_GOOD, "sft", "sharegpt", "be nice") == {
        "conversations": [
            {"from": "system", "value": "be nice"},
            {"from": "human", "value": "q"},
            {"from": "gpt", "value": "a"},
        ]
    }
    pair = {"prompt": "q", "chosen": "a", "rejected": "b"}
    assert to_output_row(pair, "dpo", "standard") == pair
    assert to_output_row(pair, "dpo", "conversational")["rejected"] == [
        {"role": "assistant", "content": "b"}
    ]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("$examples $schema $task $$5", None),
        ("$examples $persona", r"\$persona"),
        ("$schema only", r"\$examples"),
    ],
    ids=["valid", "unknown-placeholder", "no-examples"],
)
def test_template_placeholders_are_checked(template: str, message: str | None) -> None:
    if message is None:
        check_template(template)
    else:
        with pytest.raises(ConfigError, match=message):
            check_template(template)


# -- near duplicates -------------------------------------------------------------------------

_TEXT = (
    "Sounds like your high limit screw lets the derailleur swing too far out, turn it a quarter."
)


@pytest.mark.parametrize(
    ("candidate", "duplicate"),
    [
        (_TEXT, True),
        (_TEXT.upper().replace(" ", "  "), True),
        (_TEXT.replace("quarter", "half"), True),
        ("Check the tyre pressure on the sidewall and start at fifty psi for a commuter.", False),
    ],
    ids=["same", "case-and-spaces", "one-word-changed", "different"],
)
def test_near_duplicate_index(candidate: str, duplicate: bool) -> None:
    index = SimilarTextIndex(threshold=0.7)
    index.add("seed:1", _TEXT)
    assert (index.match(candidate) == "seed:1") == duplicate


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=8, max_size=80), min_size=1, max_size=8, unique=True))
def test_an_indexed_text_always_finds_itself(texts: list[str]) -> None:
    index = SimilarTextIndex()
    for number, text in enumerate(texts):
        index.add(f"gen:{number}", text)
    for text in texts:
        key = index.match(text)
        assert key is not None and jaccard(texts[int(key.split(":")[1])], text) >= 0.5


# -- the engine with a fake endpoint --------------------------------------------------------------


class FakeModel:
    """Answers like the test server, after a random delay; can fail first or refuse formats."""

    def __init__(
        self, *, failures: int = 0, formats: tuple[str, ...] = ("json_schema",), seed: int = 0
    ) -> None:
        self.failures = failures
        self.formats = formats
        self.rng = random.Random(seed)
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        await asyncio.sleep(self.rng.random() / 200)
        response_format = request.response_format
        if response_format and response_format["type"] not in self.formats:
            raise FormatNotSupportedError()
        if self.failures:
            self.failures -= 1
            raise RetryableError("503", retry_after=0.01)
        return ChatReply(made_up_reply(request.body()), "stop", 10, 20, request.model)

    async def aclose(self) -> None:
        return None


def _run(tmp_path: Path, name: str, model: FakeModel, **options: Any) -> list[str]:
    config = BootstrapConfig.make(
        n=25, model="m", retry_delay=0.0, use_cache=False, window=4, **options
    )
    result = run_bootstrap(config, SEEDS, tmp_path / f"{name}.jsonl", model=model)
    assert len(result.rows) == 25
    return (tmp_path / f"{name}.jsonl").read_text().splitlines()


def test_rows_do_not_depend_on_completion_order(tmp_path: Path) -> None:
    serial = _run(tmp_path, "serial", FakeModel(seed=1), concurrency=1)
    shuffled = _run(tmp_path, "shuffled", FakeModel(seed=2), concurrency=10)
    assert serial == shuffled
    provenance = [
        json.loads(line)
        for line in (tmp_path / "shuffled.provenance.jsonl").read_text().splitlines()
    ]
    # Later prompts show earlier accepted rows, but only from outside the window.
    assert any(p["example_requests"] for p in provenance)
    assert all(e < p["request"] - 4 for p in provenance for e in p["example_requests"])


def test_engine_retries_then_succeeds_and_falls_back_formats(tmp_path: Path) -> None:
    model = FakeModel(failures=3, formats=("json_object",))
    _run(tmp_path, "faulty", model, concurrency=4)
    report = json.loads((tmp_path / "faulty.report.json").read_text())
    assert report["details"]["generate"]["retries"] == {"503": 3}
    assert report["details"]["generate"]["structured_mode"] == "json_object"
    assert model.calls == 25 + 3 + 1  # every row, three retries, one refused format


# -- command line -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "5", "--max-budget", "1"], "--max-budget needs --prices"),
        (["--max-budget", "1"], "needs --n"),
        (["--n", "5", "--prices", "cheap"], "IN,OUT"),
        (["--n", "0"], "bootstrap.n"),
        (["--n", "5", "--task", "dpo-from-sft", "--template", "TEMPLATE"], "does not apply"),
    ],
    ids=["budget-without-prices", "no-n", "bad-prices", "zero-n", "template-for-dpo-from-sft"],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    template = tmp_path / "template.txt"
    template.write_text("Examples:\n$examples\n")
    args = [str(template) if a == "TEMPLATE" else a for a in args]
    code, _, err = run_main(
        "bootstrap", SEEDS, "--model", "m", "--out", tmp_path / "o.jsonl", *args
    )
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_mixed_seed_formats_name_the_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        '{"prompt": "q", "chosen": "a", "rejected": "b"}\n'
        '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
    )
    code, _, err = run_main("bootstrap", seeds, "--model", "m", "--n", "3", "--dry-run")
    assert code == 2 and f"{seeds}:2:" in err


def test_help_documents_every_option() -> None:
    code, out, _ = run_main("bootstrap", "--help")
    assert code == 0
    for option in (
        "--n",
        "--out",
        "--task",
        "--base-url",
        "--model",
        "--api-key-env",
        "--concurrency",
        "--rpm",
        "--tpm",
        "--max-retries",
        "--timeout",
        "--prices",
        "--max-budget",
        "--dry-run",
        "--seed",
        "--cache-dir",
        "--template",
        "--system",
        "--persona",
        "--temperature",
        "--max-tokens",
        "--rejects",
        "--report",
    ):
        assert option in out


def test_command_import_stays_light() -> None:
    code = (
        "import sys, dataprep.commands.bootstrap, dataprep.bootstrap; "
        "print(sorted(m for m in ('openai', 'datasketch', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


_turn = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]), "content": st.text(min_size=1)}
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_turn, min_size=2, max_size=6),
    st.sampled_from(["{}", "```json\n{}\n```", "Here:\n{}\n"]),
)
def test_any_valid_sample_parses_back_to_itself(turns: list[dict[str, str]], wrapper: str) -> None:
    turns[0]["role"], turns[-1]["role"] = "user", "assistant"
    sample = {"messages": turns}
    parsed = parse_json_reply(wrapper.format(json.dumps(sample)), SftSample)
    assert parsed.reason is None and parsed.sample == sample


def test_progress_reports_counts_and_spend(tmp_path: Path) -> None:
    from dataprep.progress import RecordingProgress

    progress = RecordingProgress()
    config = BootstrapConfig.make(
        n=5, model="m", use_cache=False, retry_delay=0.0, prices=(1.0, 2.0)
    )
    run_bootstrap(
        config, SEEDS, tmp_path / "o.jsonl", model=FakeModel(failures=1), progress=progress
    )
    # The generate stage's requests, and the runner's rows-out counter of that stage.
    assert progress.totals == {"generate": 5, "stage:generate": 5}
    descriptions = [event for event in progress.events if event[0] == "task"]
    assert descriptions and any(key == "generate" and total == 5 for _, key, total in descriptions)
    assert progress.events[-1] == ("close", "", None)
