"""The request scheduler: bounded concurrency, retries, cache, budget, ordered settling.

Requests are issued in index order, at most ``concurrency`` at a time, and settled strictly
in index order (a reorder buffer holds early finishers). Every successful reply is cached
before it is used, so a killed run loses nothing but requests in flight: a rerun replays
the cache in the same order and rebuilds the same accepted rows.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from dataprep.bootstrap.cache import RequestCache
from dataprep.bootstrap.client import (
    ChatModel,
    ChatReply,
    ChatRequest,
    FormatNotSupportedError,
    RetryableError,
)
from dataprep.bootstrap.cost import Budget, Usage, estimate_tokens
from dataprep.bootstrap.jobs import MODES, Parsed, finish_problem
from dataprep.bootstrap.limits import RateLimiter, RetryPolicy
from dataprep.context import RunContext
from dataprep.errors import EndpointError

__all__ = ["Engine", "Job", "Outcome"]

STAGE = "bootstrap"
#: Longest Retry-After honoured in-run; longer waits end the run (the cache keeps its work).
MAX_RETRY_AFTER = 600.0


class Job(Protocol):
    window: int
    profile: str

    def build(self, index: int, mode: str) -> tuple[ChatRequest, dict[str, Any]]: ...
    def parse(self, reply: ChatReply) -> Parsed: ...
    def repair(self, request: ChatRequest, reply: ChatReply, parsed: Parsed) -> ChatRequest: ...
    def row(self, index: int, sample: dict[str, Any]) -> dict[str, Any]: ...
    def accept(self, index: int, sample: dict[str, Any]) -> str | None: ...


@dataclass
class Outcome:
    """What request ``index`` came to: a sample, or a reject reason, plus provenance."""

    index: int
    meta: dict[str, Any]
    request: ChatRequest | None = None
    reply: ChatReply | None = None
    sample: dict[str, Any] | None = None
    reason: str | None = None
    detail: str = ""
    repaired: bool = False


class _GaveUpError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Engine:
    """Runs a job's requests against a ``ChatModel`` until ``target`` rows are accepted."""

    job: Job
    model: ChatModel
    ctx: RunContext
    cache: RequestCache
    target: int
    total: int
    concurrency: int
    max_tokens: int
    policy: RetryPolicy
    limiter: RateLimiter
    budget: Budget
    structured: str = "auto"
    validate: Any = None
    #: The API key: removed from every reply before it is used, cached or written.
    secret: str | None = None
    #: Fields added to every provenance line (task, template hash).
    provenance_fields: dict[str, Any] = field(default_factory=dict)
    #: Key of the counts and progress in ``ctx`` (the ``generate`` stage passes its own).
    stage: str = STAGE
    usage: Usage = field(default_factory=Usage)
    retries: Counter[str] = field(default_factory=Counter)
    rows: list[dict[str, Any]] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None

    def __post_init__(self) -> None:
        self.mode = "json_schema" if self.structured == "auto" else self.structured
        self._mode_settled = self.structured != "auto"
        self._next = 0
        self._settled = 0
        self._rejected = 0

    @property
    def requests_issued(self) -> int:
        return self._next

    # -- scheduling -------------------------------------------------------------------

    async def run(self) -> None:
        pending: dict[asyncio.Task[Outcome], int] = {}
        finished: dict[int, Outcome] = {}
        self._show()
        try:
            while True:
                self._issue(pending)
                if not pending:
                    break
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    finished[pending.pop(task)] = task.result()
                while self._settled in finished:
                    self._settle(finished.pop(self._settled))
                    self._settled += 1
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.stop_reason is None and len(self.rows) < self.target:
            self.stop_reason = "max_requests"

    def _can_issue(self, in_flight: int) -> bool:
        if self.stop_reason is not None or self._next >= self.total:
            return False
        if in_flight >= self.concurrency or (in_flight and not self._mode_settled):
            return False
        # Never more in flight than rows still missing: the output is the first
        # ``target`` accepted rows in index order, whatever the concurrency.
        if len(self.rows) + (self._next - self._settled) >= self.target:
            return False
        # Request i sees accepted rows of requests older than i - window only.
        return not (self.job.window and self._settled < self._next - self.job.window)

    def _issue(self, pending: dict[asyncio.Task[Outcome], int]) -> None:
        while self._can_issue(len(pending)):
            index = self._next
            request, meta = self.job.build(index, self.mode)
            reserve = self.budget.worst_case(
                estimate_tokens(request.prompt_chars()), self.max_tokens
            )
            if not self.budget.try_reserve(reserve):
                self.stop_reason = "budget"
                return
            task = asyncio.ensure_future(self._work(index, request, meta, reserve))
            pending[task] = index
            self._next += 1

    # -- one request, its retries and its repair ---------------------------------------

    async def _work(
        self, index: int, request: ChatRequest, meta: dict[str, Any], reserve: float
    ) -> Outcome:
        outcome = Outcome(index, meta)
        try:
            request, reply = await self._call_any_format(index, request)
            outcome.request, outcome.reply = request, reply
            parsed = self._read(reply)
            if parsed.repairable:
                repair = self.job.repair(request, reply, parsed)
                extra = self.budget.worst_case(
                    estimate_tokens(repair.prompt_chars()), self.max_tokens
                )
                if not self.budget.try_reserve(extra):
                    raise _GaveUpError("budget_reached_before_repair")
                reserve += extra
                outcome.repaired = True
                reply = await self._call(repair)
                outcome.reply = reply
                parsed = self._read(reply)
            outcome.sample, outcome.reason, outcome.detail = (
                parsed.sample,
                parsed.reason,
                parsed.detail,
            )
        except _GaveUpError as error:
            outcome.reason = error.reason
        finally:
            self.budget.release(reserve)
        return outcome

    def _read(self, reply: ChatReply) -> Parsed:
        problem = finish_problem(reply)
        return Parsed(reason=problem) if problem else self.job.parse(reply)

    async def _call_any_format(
        self, index: int, request: ChatRequest
    ) -> tuple[ChatRequest, ChatReply]:
        """Call, stepping down json_schema -> json_object -> text when the endpoint refuses one."""
        while True:
            try:
                reply = await self._call(request)
            except FormatNotSupportedError:
                if self.structured != "auto":
                    raise EndpointError(
                        f"the endpoint does not accept response_format {self.structured}",
                        hint="You can fix this with --structured auto (or json_object, text)",
                    ) from None
                failed = request.response_format["type"] if request.response_format else "text"
                if self.mode == failed and MODES.index(failed) + 1 < len(MODES):
                    self.mode = MODES[MODES.index(failed) + 1]
                    self.ctx.note(self.stage, f"structured_fallback_to_{self.mode}")
                request, _ = self.job.build(index, self.mode)
                continue
            self._mode_settled = True
            return request, reply

    async def _call(self, request: ChatRequest) -> ChatReply:
        """One request through cache, limiter and retry policy; raises ``_GaveUpError``."""
        cached = self.cache.get(request)
        if cached is not None:
            self._account(cached, cached=True)
            return cached
        estimate = estimate_tokens(request.prompt_chars()) + self.max_tokens
        for attempt in range(self.policy.max_retries + 1):
            await self.limiter.acquire(estimate)
            try:
                reply = (await self.model.complete(request)).redacted(self.secret)
            except RetryableError as error:
                self.limiter.settle(estimate, 0)
                self.retries[error.reason] += 1
                self.ctx.note(self.stage, f"retried_{error.reason}")
                self._show()
                if attempt == self.policy.max_retries:
                    raise _GaveUpError(f"gave_up_after_{error.reason}") from None
                await self._wait(attempt, error.retry_after)
                continue
            self.limiter.settle(estimate, reply.prompt_tokens + reply.completion_tokens)
            # Stored before it is used (resume depends on it); the fsync runs in a thread
            # so that the other requests in flight go on meanwhile.
            await asyncio.to_thread(self.cache.put, request, reply)
            self._account(reply, cached=False)
            return reply
        raise AssertionError("unreachable")

    async def _wait(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER:
                raise EndpointError(
                    f"the endpoint asks to wait {retry_after:.0f} s before retrying",
                    hint="Rerun later: finished requests are cached and will not be repeated",
                )
            self.limiter.pause(retry_after)
        await asyncio.sleep(self.policy.delay(attempt, retry_after))

    def _account(self, reply: ChatReply, *, cached: bool) -> None:
        self.usage.add(reply.prompt_tokens, reply.completion_tokens, cached=cached)
        self.budget.spend(reply.prompt_tokens, reply.completion_tokens)

    # -- settling, in index order ---------------------------------------------------

    def _settle(self, outcome: Outcome) -> None:
        if len(self.rows) >= self.target:
            self.ctx.note(self.stage, "surplus_reply")
            return
        if outcome.reason is not None or outcome.sample is None:
            self._reject(outcome, outcome.reason or "no_sample", outcome.detail)
            return
        row = self.job.row(outcome.index, outcome.sample)
        if self.validate is not None:
            errors = [f for f in self.validate([row], self.job.profile) if f.severity == "error"]
            if errors:
                self._reject(outcome, f"validator_{errors[0].rule}", errors[0].message)
                return
        reason = self.job.accept(outcome.index, outcome.sample)
        if reason is not None:
            self._reject(outcome, reason, "")
            return
        self.rows.append(row)
        self.provenance.append(self._provenance(outcome))
        self.ctx.progress.advance(self.stage)
        self._show()

    def _provenance(self, outcome: Outcome) -> dict[str, Any]:
        assert outcome.request is not None and outcome.reply is not None
        request = outcome.request
        return {
            "line": len(self.rows),
            "request": outcome.index,
            "cache_key": request.key,
            "model": request.model,
            "served_model": outcome.reply.model,
            "params": {
                "temperature": request.temperature,
                "max_tokens": request.max_tokens,
                "seed": request.seed,
                "response_format": request.response_format["type"]
                if request.response_format
                else "text",
            },
            "repaired": outcome.repaired,
            **outcome.meta,
            **self.provenance_fields,
        }

    def _reject(self, outcome: Outcome, reason: str, detail: str) -> None:
        self._rejected += 1
        content = outcome.reply.content if outcome.reply is not None else None
        frame = pl.DataFrame(
            [{"request": outcome.index, "detail": detail, "content": content or ""}],
            schema={"request": pl.Int64, "detail": pl.Utf8, "content": pl.Utf8},
        )
        self.ctx.reject(self.stage, frame, reason)
        self._show()

    def every_request_failed(self) -> bool:
        """No row, and every request ended by giving up (the endpoint never answered)."""
        reasons = self.ctx.counts[self.stage].rejected
        return (
            not self.rows
            and sum(reasons.values()) > 0
            and all(reason.startswith("gave_up_after_") for reason in reasons)
        )

    def _show(self) -> None:
        spend = f", ${self.budget.spent:.4f}" if self.budget.prices else ""
        description = (
            f"bootstrap: {len(self.rows)} accepted, {self._rejected} rejected, "
            f"{sum(self.retries.values())} retried{spend}"
        )
        self.ctx.progress.task(self.stage, description, total=self.target)
