"""A deterministic OpenAI-compatible chat-completions server on loopback.

For the tests, the benchmark and offline dry runs: a real HTTP server
(``http.server.ThreadingHTTPServer`` in a daemon thread, port 0 = any free port) that speaks
``POST /v1/chat/completions`` and ``GET /v1/models``.

- Answers are derived from the request (same request, same answer): a JSON score object
  for judge prompts, the marked text for translation prompts (everything preserved), a
  number / box for counting / grounding questions, else a description that quotes a hash
  of the prompt. ``responder`` replaces that logic for a test.
- ``latency_s`` is added to every request (the benchmark's fixed model latency; servers
  of different speeds in the multi-endpoint tests).
- ``kill()`` stops the server as a crashed process would: the port refuses connections, open
  connections are cut, and requests in flight get no answer (outcome ``"killed"``). An
  answer is either sent whole and counted in ``ok_by_hash`` or not sent at all.
- ``port``: bind this port instead of any free one.
- ``inject(faults, when=...)`` queues faults consumed by the next matching requests:
  ``"429"`` (with ``Retry-After``), ``"500"``, ``"503"``, ``"400"`` (must not be retried),
  ``"timeout"`` (sleeps ``timeout_sleep_s`` before answering), ``"malformed"`` (a cut JSON
  body), ``"empty"`` (empty content), ``"refusal"`` (a ``refusal`` field),
  ``"content_filter"`` (``finish_reason='content_filter'``), ``"drop"`` (closes the socket).
- ``hold_after_ok(k)``: after k successful answers every further request waits (``holding``
  is set, ``n_held`` counts them) until ``release()``; with ``drop=True`` the held
  requests then get no answer.
- Every request is recorded (``calls``): the ``X-Request-Hash`` header, what was answered,
  the decoded images (sha256, size) in order, and whether an ``Authorization`` header was
  present (its value is never stored). ``ok_by_hash`` counts successful answers.
- ``api_key``: if set, requests without ``Authorization: Bearer <api_key>`` get a 401.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from PIL import Image

FAULTS = (
    "429",
    "500",
    "503",
    "400",
    "timeout",
    "malformed",
    "empty",
    "refusal",
    "content_filter",
    "drop",
)


@dataclass
class ChatCall:
    """One request as the server saw it."""

    request_hash: str | None
    model: str
    text: str
    params: dict[str, Any]
    images: list[dict[str, Any]]
    has_authorization: bool
    received_at: float
    outcome: str = "pending"  # "ok", a fault name, "unauthorized", "held-dropped", "bad-request"


@dataclass
class Reply:
    """A scripted answer: ``text`` as a normal completion, or a raw status/body."""

    text: str | None = None
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    refusal: str | None = None
    delay_s: float = 0.0


Responder = Callable[[ChatCall], "str | Reply | None"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_answer(call: ChatCall) -> str:
    """The deterministic answer to ``call`` (see the module docstring)."""
    text = call.text
    h = _digest(text)
    if "six dimensions" in text or "六个维度" in text:  # the judge rubric, English or Chinese
        dims = [
            "image_text_consistency",
            "task_following",
            "detail_completeness",
            "reasoning_reliability",
            "safety_compliance",
            "language_quality",
        ]
        scores = {d: 3 + int(h[i * 2 : i * 2 + 2], 16) % 3 for i, d in enumerate(dims)}
        return json.dumps({**scores, "rationale": f"deterministic judgement {h[:8]}"})
    if "<<<BEGIN>>>" in text and "<<<END>>>" in text:
        source = text.split("<<<BEGIN>>>", 1)[1].rsplit("<<<END>>>", 1)[0].strip("\n")
        return f"【译文】{source}"
    if "How many" in text:
        return "2"
    if "bounding box" in text.lower() and "Where is" in text:
        return "[100, 200, 300, 400]"
    if len(call.images) >= 2:
        return (
            f"Similarities: Image 1 and Image 2 are both photographs ({h[:8]}). "
            f"Differences: Image 1 has {call.images[0]['width']}x{call.images[0]['height']} pixels, "
            f"Image 2 has {call.images[1]['width']}x{call.images[1]['height']} pixels."
        )
    return f"A detailed description {h[:16]} of a scene in {len(call.images)} image(s)."


class FakeChatServer:
    """Start with ``with FakeChatServer() as srv:``; ``srv.base_url`` is the ``.../v1`` URL."""

    def __init__(
        self,
        latency_s: float = 0.0,
        api_key: str | None = None,
        responder: Responder | None = None,
        timeout_sleep_s: float = 2.0,
        decode_images: bool = True,
        port: int = 0,
    ) -> None:
        self.latency_s = latency_s
        self.port = port
        self.api_key = api_key
        self.responder = responder
        self.timeout_sleep_s = timeout_sleep_s
        self.decode_images = decode_images
        self.calls: list[ChatCall] = []
        self.ok_by_hash: Counter[str] = Counter()
        self.holding = threading.Event()
        self._lock = threading.Lock()
        self._faults: list[tuple[Callable[[ChatCall], bool] | None, deque[str | Reply]]] = []
        self._hold_after: int | None = None
        self._release = threading.Event()
        self._drop_held = False
        self._admitted = 0
        self._held = 0
        self._let_go = 0  # held requests that have seen the release (outcome decided)
        self._settled = threading.Condition(self._lock)
        self._killed = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def inject(
        self, faults: list[str | Reply], when: Callable[[ChatCall], bool] | None = None
    ) -> None:
        """Queue ``faults`` for the next requests matching ``when`` (all requests if None)."""
        for f in faults:
            if isinstance(f, str) and f not in FAULTS:
                raise ValueError(f"unknown fault {f!r}; one of {FAULTS}")
        with self._lock:
            self._faults.append((when, deque(faults)))

    def hold_after_ok(self, k: int) -> None:
        """After ``k`` successful answers, hold every further request until ``release``."""
        with self._lock:
            self._hold_after = k
            self._release.clear()

    def release(self, drop: bool = False, timeout_s: float = 10.0) -> None:
        """Let held requests go on (or, with ``drop``, close them without an answer).

        Returns once every request held so far has seen the release, so a dropped one's
        ``held-dropped`` outcome is already recorded (or after ``timeout_s``).
        """
        with self._lock:
            self._drop_held = drop
            self._hold_after = None
            self._release.set()
            self._settled.wait_for(lambda: self._let_go >= self._held, timeout=timeout_s)

    @property
    def n_held(self) -> int:
        """Requests that have been held so far (waiting, or dropped or let go since)."""
        with self._lock:
            return self._held

    @property
    def n_calls(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.calls)

    def outcomes(self) -> Counter[str]:
        """How many requests got each outcome."""
        with self._lock:
            return Counter(c.outcome for c in self.calls)

    def start(self) -> FakeChatServer:
        """Bind a free loopback port and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = _Server(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests and stop serving."""
        self.release(drop=True)
        if self._httpd is not None and not self._killed.is_set():
            self._httpd.shutdown()
            self._httpd.server_close()

    def kill(self) -> None:
        """Die mid-run: refuse new connections, cut open ones, answer nothing in flight."""
        with self._lock:  # no answer is half-sent: answers are written under this lock
            self._killed.set()
            connections = list(self._connections)
        self.release(drop=True)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def is_killed(self) -> bool:
        """Whether ``kill()`` was called."""
        return self._killed.is_set()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------
    def _next_fault(self, call: ChatCall) -> str | Reply | None:
        with self._lock:
            for when, queue in self._faults:
                if queue and (when is None or when(call)):
                    return queue.popleft()
        return None

    def _parse(self, body: dict[str, Any], headers: Any) -> ChatCall:
        texts: list[str] = []
        images: list[dict[str, Any]] = []
        for msg in body.get("messages", []):
            content = msg.get("content")
            if isinstance(content, str):
                texts.append(content)
                continue
            for part in content or []:
                if part.get("type") == "text":
                    texts.append(part.get("text", ""))
                elif part.get("type") == "image_url":
                    images.append(self._image(part["image_url"]["url"]))
        params = {k: body[k] for k in ("temperature", "top_p", "max_tokens", "seed") if k in body}
        return ChatCall(
            request_hash=headers.get("X-Request-Hash"),
            model=str(body.get("model", "")),
            text="\n".join(texts),
            params=params,
            images=images,
            has_authorization=headers.get("Authorization") is not None,
            received_at=time.time(),
        )

    def _image(self, url: str) -> dict[str, Any]:
        head, _, payload = url.partition(",")
        if not head.startswith("data:") or ";base64" not in head:
            return {"mime": None, "sha256": None, "width": None, "height": None, "bytes": 0}
        data = base64.b64decode(payload)
        info: dict[str, Any] = {
            "mime": head[5:].split(";")[0],
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "width": None,
            "height": None,
        }
        if self.decode_images:
            with Image.open(io.BytesIO(data)) as img:
                info["width"], info["height"] = img.size
        return info

    def _completion(
        self,
        call: ChatCall,
        text: str | None,
        finish_reason: str = "stop",
        refusal: str | None = None,
    ) -> bytes:
        prompt_tokens = len(call.text.split()) + 100 * len(call.images)
        completion_tokens = len((text or refusal or "").split())
        return json.dumps(
            {
                "id": f"chatcmpl-{_digest(call.text)[:16]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": call.model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish_reason,
                        "message": {"role": "assistant", "content": text, "refusal": refusal},
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            ensure_ascii=False,
        ).encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen() backlog: the default 5 refuses bursts of new connections


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_ref: FakeChatServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server_ref._lock:
            self.server_ref._connections.add(self.connection)

    def finish(self) -> None:
        with self.server_ref._lock:
            self.server_ref._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> bool:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return True
        except OSError:  # broken pipe, reset, or cut by kill()
            self.close_connection = True
            return False

    def _killed(self, call: ChatCall) -> bool:
        if self.server_ref._killed.is_set():
            call.outcome = "killed"
            self.close_connection = True
            return True
        return False

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(
            status,
            json.dumps({"error": {"message": message, "type": "fake", "code": status}}).encode(),
            headers,
        )

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(
                200,
                json.dumps(
                    {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                ).encode(),
            )
        else:
            self._error(404, "not found")

    def do_POST(self) -> None:
        srv = self.server_ref
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, "not found")
            return
        try:
            call = srv._parse(json.loads(raw), self.headers)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            self._error(400, f"bad request: {type(exc).__name__}")
            return
        with srv._lock:
            srv.calls.append(call)
        if srv.api_key is not None and self.headers.get("Authorization") != f"Bearer {srv.api_key}":
            call.outcome = "unauthorized"
            self._error(401, "invalid api key")
            return
        if srv.latency_s:
            srv._killed.wait(srv.latency_s)  # a kill ends the wait: no answer
        if self._killed(call):
            return
        fault = srv._next_fault(call)
        if isinstance(fault, str):
            self._fault(call, fault)
            return
        reply = fault if isinstance(fault, Reply) else None
        if reply is None and srv.responder is not None:
            custom = srv.responder(call)
            reply = Reply(text=custom) if isinstance(custom, str) else custom
        if reply is None:
            reply = Reply(text=default_answer(call))
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.body is not None or reply.status != 200:
            call.outcome = f"scripted-{reply.status}"
            self._send(reply.status, reply.body or b"{}", reply.headers)
            return
        if not self._wait_if_held(call):
            return
        body = srv._completion(call, reply.text, reply.finish_reason, reply.refusal)
        ok = (
            reply.finish_reason != "content_filter"
            and not reply.refusal
            and bool((reply.text or "").strip())
        )
        with srv._lock:  # kill() takes this lock: an answer is sent whole before it, or not at all
            if self._killed(call):
                return
            sent = self._send(200, body, reply.headers)
            call.outcome = ("ok" if ok else "scripted-unusable") if sent else "unsent"
            if ok and sent and call.request_hash:
                srv.ok_by_hash[call.request_hash] += 1

    def _wait_if_held(self, call: ChatCall) -> bool:
        srv = self.server_ref
        with srv._lock:  # admit atomically: two racing requests cannot both be the k-th
            hold = srv._hold_after is not None and srv._admitted >= srv._hold_after
            if hold:
                srv._held += 1
            else:
                srv._admitted += 1
        if not hold:
            return True
        srv.holding.set()
        srv._release.wait()
        with srv._lock:
            dropped = srv._drop_held
            if dropped:
                call.outcome = "held-dropped"
            srv._let_go += 1
            srv._settled.notify_all()
        if dropped:
            self.close_connection = True
            return False
        return True

    def _fault(self, call: ChatCall, fault: str) -> None:
        srv = self.server_ref
        call.outcome = fault
        if fault == "429":
            self._error(429, "rate limit reached", {"Retry-After": "0"})
        elif fault in ("500", "503", "400"):
            self._error(int(fault), f"injected {fault}")
        elif fault == "timeout":
            time.sleep(srv.timeout_sleep_s)
            self._send(200, srv._completion(call, "too late"))
        elif fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-x", "choices": [{"message": {"content": "cut')
        elif fault == "empty":
            self._send(200, srv._completion(call, ""))
        elif fault == "refusal":
            self._send(200, srv._completion(call, None, refusal="I can't help with that."))
        elif fault == "content_filter":
            self._send(200, srv._completion(call, None, finish_reason="content_filter"))
        elif fault == "drop":
            self.close_connection = True
