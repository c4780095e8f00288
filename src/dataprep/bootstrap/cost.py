"""Token usage, prices and the budget stop.

Prices are per million tokens and always come from the user (``--prices IN,OUT``) because
they change. Spend counts every reply the run uses, cached ones included, so a rerun with
the same ``--max-budget`` stops at the same place instead of paying twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataprep.errors import ConfigError

__all__ = ["Budget", "Prices", "Usage", "estimate_tokens"]


def estimate_tokens(chars: int) -> int:
    """Rough token count of ``chars`` characters (OpenAI's rule of thumb: ~4 per token)."""
    return max(1, (chars + 3) // 4)


@dataclass(frozen=True)
class Prices:
    """Dollars per million input and output tokens."""

    input_per_million: float
    output_per_million: float

    @classmethod
    def parse(cls, text: str) -> Prices:
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 2 or min(values) < 0:
            raise ConfigError(
                f"--prices {text!r}: expected two numbers IN,OUT in dollars per million tokens",
                hint="For example --prices 2.50,10.00",
            )
        return cls(values[0], values[1])

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        return (
            prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        ) / 1e6


@dataclass
class Usage:
    """Tokens summed from responses, split into fresh and replayed-from-cache."""

    requests: int = 0
    cached_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fresh_prompt_tokens: int = 0
    fresh_completion_tokens: int = 0

    def add(self, prompt_tokens: int, completion_tokens: int, *, cached: bool) -> None:
        self.requests += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        if cached:
            self.cached_requests += 1
        else:
            self.fresh_prompt_tokens += prompt_tokens
            self.fresh_completion_tokens += completion_tokens

    def to_dict(self, prices: Prices | None) -> dict[str, float | int | None]:
        return {
            "requests": self.requests,
            "cached_requests": self.cached_requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(prices.cost(self.prompt_tokens, self.completion_tokens), 6)
            if prices
            else None,
            "cost_this_run": round(
                prices.cost(self.fresh_prompt_tokens, self.fresh_completion_tokens), 6
            )
            if prices
            else None,
        }


class Budget:
    """Stops new requests before spend plus the worst case of those in flight passes ``limit``.

    A request's worst case is its estimated prompt plus ``max_tokens`` of completion; it
    is reserved when the request starts and released when it ends, when the real cost of
    every reply it got has been spent.
    """

    def __init__(self, limit: float | None, prices: Prices | None) -> None:
        if limit is not None and prices is None:
            raise ConfigError("--max-budget needs --prices IN,OUT to turn tokens into money")
        self.limit = limit
        self.prices = prices
        self.spent = 0.0
        self.reserved = 0.0
        self.exhausted = False

    def worst_case(self, prompt_tokens: int, max_tokens: int) -> float:
        return self.prices.cost(prompt_tokens, max_tokens) if self.prices else 0.0

    def try_reserve(self, amount: float) -> bool:
        """Reserve ``amount`` if it fits; once something does not fit, nothing new starts."""
        if self.limit is None:
            return True
        if self.exhausted or self.spent + self.reserved + amount > self.limit:
            self.exhausted = True
            return False
        self.reserved += amount
        return True

    def release(self, amount: float) -> None:
        self.reserved = max(0.0, self.reserved - amount)

    def spend(self, prompt_tokens: int, completion_tokens: int) -> None:
        if self.prices:
            self.spent += self.prices.cost(prompt_tokens, completion_tokens)
