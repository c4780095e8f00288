"""A real OpenAI-compatible HTTP server on loopback, for tests and the benchmark.

It serves ``POST /v1/chat/completions`` with a stdlib ``ThreadingHTTPServer`` so the real
``openai`` SDK talks to it over real sockets. Replies are made up deterministically from the
request body (same request, same reply) in whichever sample shape the request asks for.
Faults are queued with ``inject`` and consumed by the next arriving requests, one each.
Every request is counted per hash of its canonical body, successful ones separately.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT_KINDS = (
    "429",  # status 429 with Retry-After (or retry-after-ms)
    "500",  # status 500 with a JSON error body
    "hang",  # sleep past the client's timeout, then answer
    "malformed",  # status 200, Content-Type JSON, body that is not JSON
    "length",  # status 200, content cut off, finish_reason "length"
    "content_filter",  # status 200, empty content, finish_reason "content_filter"
    "reply",  # status 200 with the given content (a seed duplicate, broken JSON, ...)
    "status",  # the given HTTP status with an OpenAI-style error body and code
    "drip",  # status 200 whose body arrives one byte per ``drip_interval`` seconds
    "bad_usage",  # status 200 whose ``usage`` fields are not numbers
)
#: In a fault's ``content`` or ``model``, replaced by the bearer token the client sent
#: (a hostile or careless server echoing the API key).
KEY_MARK = "{key}"

_WORDS = [
    "apple",
    "river",
    "quiet",
    "bright",
    "engine",
    "forest",
    "garden",
    "harbor",
    "island",
    "jacket",
    "kettle",
    "lantern",
    "meadow",
    "needle",
    "orange",
    "pepper",
    "quartz",
    "rocket",
    "saddle",
    "timber",
    "umbrella",
    "velvet",
    "window",
    "yellow",
    "zephyr",
    "anchor",
    "basket",
    "candle",
    "dragon",
    "ember",
    "falcon",
    "glacier",
    "hammer",
    "igloo",
    "jungle",
    "kernel",
    "ladder",
    "marble",
    "nectar",
    "oyster",
    "pillow",
    "quiver",
    "ribbon",
    "sphinx",
    "tunnel",
    "unicorn",
    "violin",
    "walnut",
    "xylophone",
    "yogurt",
    "zipper",
    "bakery",
    "cactus",
    "dolphin",
    "eclipse",
    "fossil",
    "goblet",
    "horizon",
    "iris",
    "jigsaw",
    "koala",
    "lemon",
    "mosaic",
    "nutmeg",
    "orbit",
    "parrot",
    "quill",
    "raven",
    "sequoia",
    "tulip",
    "urchin",
    "vortex",
    "whistle",
    "yarrow",
    "zinnia",
    "acorn",
    "bison",
    "cobalt",
    "dune",
    "estuary",
    "fjord",
    "geyser",
    "hazel",
    "indigo",
    "juniper",
    "kelp",
    "lagoon",
    "mango",
    "nimbus",
    "opal",
    "prairie",
]


def request_hash(body: dict[str, Any]) -> str:
    """Hash of a request body in canonical JSON: what the server counts requests by."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _schema_title(body: dict[str, Any]) -> str | None:
    """Which sample shape the request wants: from response_format, else from the prompt."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return str(response_format["json_schema"]["name"])
    text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    found = re.findall(r'"title":\s*"(\w+Sample)"', text)
    return found[-1] if found else None


def made_up_reply(body: dict[str, Any]) -> str:
    """A deterministic, unique reply for ``body`` in the shape it asks for."""
    rng = random.Random(int(request_hash(body)[:16], 16))
    title = _schema_title(body)
    if title == "SftSample":
        sample: dict[str, Any] = {
            "messages": [
                {"role": "user", "content": _sentence(rng, 12)},
                {"role": "assistant", "content": _sentence(rng, 24)},
            ]
        }
    elif title == "DpoSample":
        sample = {
            "prompt": _sentence(rng, 12),
            "chosen": _sentence(rng, 20),
            "rejected": _sentence(rng, 20),
        }
    elif title == "KtoSample":
        sample = {
            "prompt": _sentence(rng, 12),
            "completion": _sentence(rng, 20),
            "label": rng.random() < 0.5,
        }
    else:
        return _sentence(rng, 20)
    return json.dumps(sample)


@dataclass
class Fault:
    kind: str
    retry_after: float | None = None
    retry_after_ms: int | None = None
    content: str | None = None
    status: int = 500
    code: str | None = None
    #: Overrides the completion's ``model`` field (``{key}`` is replaced by the key).
    model: str | None = None
    drip_interval: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}")


@dataclass
class ServerState:
    """What the server was told to do and what it saw; shared by the handler threads."""

    latency: float = 0.0
    hang_seconds: float = 5.0
    expected_key: str | None = None
    #: response_format types accepted; others get a 400 like servers that lack them.
    response_formats: tuple[str, ...] = ("json_schema", "json_object")
    faults: deque[Fault] = field(default_factory=deque)
    arrivals: Counter[str] = field(default_factory=Counter)
    successes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    authorization_headers: set[str] = field(default_factory=set)
    body_keys: Counter[str] = field(default_factory=Counter)
    #: After this many successes, hold new requests until ``release`` is set, then fail them
    #: with a 503 (so a run can be killed while no reply is on its way).
    hold_after: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    admitted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> Fault | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None


def _completion(
    body: dict[str, Any], content: str | None, finish_reason: str, model: str | None = None
) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
    completion_tokens = len(content or "") // 4
    return {
        "id": "chatcmpl-" + request_hash(body)[:12],
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": model or body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)
        with self.server.state.lock:
            self.server.state.statuses[status] += 1

    def _error(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        body = json.dumps({"error": {"message": message, "type": "test", "code": code or status}})
        self._send(status, body.encode(), headers)

    def do_GET(self) -> None:
        """``GET /stats``: counts, for a server running in another process (benchmark)."""
        state = self.server.state
        with state.lock:
            stats = {
                "arrivals": sum(state.arrivals.values()),
                "successes": sum(state.successes.values()),
                "repeated_successes": sum(n - 1 for n in state.successes.values() if n > 1),
            }
        self._send(200, json.dumps(stats).encode())

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        key = request_hash(body)
        with state.lock:
            state.arrivals[key] += 1
            state.authorization_headers.add(self.headers.get("Authorization", ""))
            state.body_keys.update(body.keys())
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, "not found")
            return
        if (
            state.expected_key
            and self.headers.get("Authorization") != f"Bearer {state.expected_key}"
        ):
            self._error(401, "invalid api key")
            return
        response_format = (body.get("response_format") or {}).get("type")
        if response_format and response_format not in state.response_formats:
            self._error(400, f"response_format {response_format} is not supported")
            return
        if self._must_hold():
            state.release.wait()
            self._error(503, "held, then released")
            return
        fault = state.next_fault()
        if state.latency:
            time.sleep(state.latency)
        if fault is not None and self._serve_fault(fault, body, key):
            return
        self._succeed(body, key, made_up_reply(body), "stop")

    def _must_hold(self) -> bool:
        state = self.server.state
        with state.lock:
            if state.hold_after is not None and state.admitted >= state.hold_after:
                return True
            state.admitted += 1
            return False

    def _succeed(
        self,
        body: dict[str, Any],
        key: str,
        content: str | None,
        finish: str,
        model: str | None = None,
    ) -> None:
        payload = json.dumps(_completion(body, content, finish, model)).encode()
        with self.server.state.lock:
            self.server.state.successes[key] += 1
        self._send(200, payload)

    def _echo(self, text: str | None) -> str | None:
        """``text`` with ``{key}`` replaced by the bearer token of this request."""
        if text is None:
            return None
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        return text.replace(KEY_MARK, token)

    def _drip(self, payload: bytes, interval: float) -> None:
        """Headers at once, then the body one byte at a time: never idle long enough for a
        read timeout, yet never finished within any sane deadline."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            for byte in payload:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _serve_fault(self, fault: Fault, body: dict[str, Any], key: str) -> bool:
        """Answer with ``fault``; False when the fault still ends in a normal success."""
        if fault.kind == "drip":
            self._drip(json.dumps(_completion(body, made_up_reply(body), "stop")).encode(),
                       fault.drip_interval)  # fmt: skip
        elif fault.kind == "bad_usage":
            completion = _completion(body, made_up_reply(body), "stop")
            completion["usage"] = {"prompt_tokens": "many", "completion_tokens": [1]}
            self._send(200, json.dumps(completion).encode())
        elif fault.kind == "429":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = str(fault.retry_after_ms)
            self._error(429, "rate limited", headers)
        elif fault.kind == "500":
            self._error(500, "internal error")
        elif fault.kind == "hang":
            time.sleep(self.server.state.hang_seconds)
            self._error(504, "gateway timeout")
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "chatcmpl-x", "choices": [ {"message": ')
        elif fault.kind == "length":
            self._succeed(body, key, made_up_reply(body)[:25], "length")
        elif fault.kind == "content_filter":
            self._succeed(body, key, None, "content_filter")
        elif fault.kind == "reply":
            content = self._echo(fault.content)
            if content is None and fault.model is not None:
                content = made_up_reply(body)
            self._succeed(body, key, content, "stop", self._echo(fault.model))
        elif fault.kind == "status":
            self._error(fault.status, self._echo(fault.content) or "error", code=fault.code)
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when many clients connect at
    # once; the client then sees resets and SYN retransmits (1 s) instead of the latency.
    request_queue_size = 256
    state: ServerState

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client (killed on purpose) drops its connection."""


class FakeOpenAIServer:
    """Start with ``start()`` (or as a context manager); ``base_url`` ends in ``/v1``."""

    def __init__(self, **options: Any) -> None:
        self.state = ServerState(**options)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue ``count`` faults of ``kind``; the next arriving requests take them."""
        with self.state.lock:
            self.state.faults.extend(Fault(kind, **options) for _ in range(count))

    def inject_many(self, faults: Iterable[Fault]) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    def reset(self) -> None:
        """Forget faults and counts (a fixture shared by several tests calls this)."""
        with self.state.lock:
            self.state.faults.clear()
            self.state.arrivals.clear()
            self.state.successes.clear()
            self.state.statuses.clear()
            self.state.authorization_headers.clear()

    @property
    def total_successes(self) -> int:
        with self.state.lock:
            return sum(self.state.successes.values())

    @property
    def repeated_successes(self) -> int:
        """Successful answers given more than once to the same request body."""
        with self.state.lock:
            return sum(n - 1 for n in self.state.successes.values() if n > 1)


def main() -> None:
    """``python fake_openai_server.py --latency 0.2``: serve until killed (benchmark)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAIServer(latency=args.latency).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
