"""The seam between bootstrap and an LLM endpoint: requests, replies, and the real client.

``ChatModel`` is the protocol the generator talks to; ``OpenAIChatModel`` implements it
with the ``openai`` SDK against any OpenAI-compatible endpoint. The SDK's own retries are
off (``max_retries=0``): every failure is mapped to ``RetryableError`` (429, 5xx, timeout,
broken body) or ``FormatNotSupportedError`` or a fatal ``EndpointError``, and the one
retry policy in ``dataprep.bootstrap.limits`` decides what happens next.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from dataprep.deps import require
from dataprep.errors import EndpointError

__all__ = [
    "ChatModel",
    "ChatReply",
    "ChatRequest",
    "FormatNotSupportedError",
    "OpenAIChatModel",
    "RetryableError",
    "redact",
]


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completion request; ``key`` is the sha256 of its canonical JSON body."""

    model: str
    messages: tuple[tuple[str, str], ...]
    temperature: float
    max_tokens: int
    seed: int | None = None
    response_format: dict[str, Any] | None = field(default=None, hash=False)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": role, "content": content} for role, content in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        if self.response_format is not None:
            body["response_format"] = self.response_format
        return body

    @property
    def key(self) -> str:
        canonical = json.dumps(
            self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def prompt_chars(self) -> int:
        return sum(len(content) for _, content in self.messages)


@dataclass(frozen=True)
class ChatReply:
    """What the generator keeps of a completion (also what the cache stores)."""

    content: str | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "model": self.model,
        }

    def redacted(self, secret: str | None) -> ChatReply:
        """This reply with ``secret`` removed from every string a server could echo it in."""
        if not secret:
            return self
        return ChatReply(
            content=None if self.content is None else redact(self.content, secret),
            finish_reason=redact(self.finish_reason, secret),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            model=redact(self.model, secret),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatReply:
        return cls(
            content=data.get("content"),
            finish_reason=str(data.get("finish_reason") or ""),
            prompt_tokens=token_count(data.get("prompt_tokens")),
            completion_tokens=token_count(data.get("completion_tokens")),
            model=str(data.get("model") or ""),
        )


class RetryableError(Exception):
    """A failure worth retrying; ``reason`` is a short counter key (``429``, ``timeout``)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class FormatNotSupportedError(Exception):
    """The endpoint refused the request's ``response_format``; try a simpler one."""


class ChatModel(Protocol):
    """An LLM endpoint that answers one chat request at a time (many may be in flight)."""

    async def complete(self, request: ChatRequest) -> ChatReply:
        """Answer ``request`` or raise ``RetryableError``/``FormatNotSupportedError``/``EndpointError``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced, for messages that echo input.

    Redact before cutting a text short: a cut made first can leave most of the key in place.
    """
    if secret:
        text = text.replace(secret, "[redacted]")
    return text


def token_count(value: Any) -> int:
    """A ``usage`` field as a count; a server's non-numeric value counts as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float) and value == value and abs(value) < 1e15:
        return max(0, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``retry-after`` (seconds form only)."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue  # an HTTP date; rare for LLM endpoints, fall back to backoff
        if seconds >= 0:
            return seconds
    return None


_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "schema",
    "structured",
    "json",
    "guided",
)


def _about_format(message: str) -> bool:
    """Whether a 400 is about the response format (an empty message gets the benefit of the doubt)."""
    lowered = message.lower()
    return not lowered or any(word in lowered for word in _FORMAT_WORDS)


class OpenAIChatModel:
    """``ChatModel`` over the ``openai`` SDK's ``AsyncOpenAI``, with the SDK's retries off."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_tokens_field: str = "max_tokens",
    ) -> None:
        openai = require("openai", extra="bootstrap")
        self._openai = openai
        self._secret = api_key
        self._timeout = timeout
        # OpenAI's reasoning models refuse ``max_tokens`` and want ``max_completion_tokens``.
        self._max_tokens_field = max_tokens_field
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, request: ChatRequest) -> ChatReply:
        body = request.body()
        # The response format goes through extra_body, sent as is: the SDK's parameter
        # transform walks a JSON Schema key by key and costs more than the rest of the call.
        extra = (
            {"response_format": body.pop("response_format")} if "response_format" in body else None
        )
        if self._max_tokens_field != "max_tokens":
            body[self._max_tokens_field] = body.pop("max_tokens")
        try:
            # The SDK's timeout bounds each socket read; a server that drips one byte at a
            # time never trips it. The wall-clock deadline covers the whole request.
            completion = await asyncio.wait_for(
                self._client.chat.completions.create(**body, extra_body=extra),
                timeout=self._timeout,
            )
        except TimeoutError:
            raise RetryableError("timeout") from None
        except self._openai.APIStatusError as error:
            raise self._status_error(
                error, has_format=request.response_format is not None
            ) from None
        except self._openai.APITimeoutError:
            raise RetryableError("timeout") from None
        except self._openai.APIConnectionError:
            raise RetryableError("connection") from None
        except (ValueError, self._openai.APIResponseValidationError):
            # A 200 whose body is not JSON (json.JSONDecodeError is a ValueError).
            raise RetryableError("malformed_response") from None
        return self._reply(completion, request.model).redacted(self._secret)

    @staticmethod
    def _reply(completion: Any, requested_model: str) -> ChatReply:
        choices = getattr(completion, "choices", None)
        if not choices:
            raise RetryableError("malformed_response")
        choice = choices[0]
        message = getattr(choice, "message", None)
        usage = getattr(completion, "usage", None)
        return ChatReply(
            content=getattr(message, "content", None),
            finish_reason=str(getattr(choice, "finish_reason", "") or ""),
            prompt_tokens=token_count(getattr(usage, "prompt_tokens", 0)),
            completion_tokens=token_count(getattr(usage, "completion_tokens", 0)),
            model=str(getattr(completion, "model", "") or requested_model),
        )

    def _status_error(self, error: Any, *, has_format: bool) -> Exception:
        status = int(error.status_code)
        body = error.body if isinstance(error.body, dict) else {}
        code = str(body.get("code") or "")
        if status == 429 and code == "insufficient_quota":
            return EndpointError(
                "the endpoint says the account has no quota left (HTTP 429 insufficient_quota)"
            )
        if status in (408, 409, 429) or status >= 500:
            return RetryableError(str(status), retry_after_seconds(error.response.headers))
        if status in (401, 403):
            return EndpointError(
                f"the endpoint refused the API key (HTTP {status})",
                hint="Check the environment variable named by --api-key-env",
            )
        message = redact(str(body.get("message") or ""), self._secret)[:200]
        if status == 400 and has_format and _about_format(message):
            return FormatNotSupportedError(status)
        return EndpointError(
            f"the endpoint rejected the request (HTTP {status}{': ' + message if message else ''})",
            hint="Check --base-url and --model",
        )

    async def aclose(self) -> None:
        await self._client.close()
