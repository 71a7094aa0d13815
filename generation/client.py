"""One chat-completions call through the ``openai`` client: retries, backoff, rate limit.

In: chat messages, model, sampling parameters, the request hash (sent as the
``X-Request-Hash`` header so a server's logs can be joined to landed rows).
Out: a ``CallOutcome`` with a status class, never an exception for a failed call.

Retries (``max_attempts`` in all) with exponential backoff and jitter, honouring a
``Retry-After`` header up to the cap, on: 429, 5xx, timeouts, connection errors. No retry
on any other 4xx, nor on an answered call whose content is unusable (malformed body,
empty content, refusal): those were answered, possibly paid, and are retried only by the
next run. The openai client's own retries are off (``max_retries=0``) so every attempt is
counted here. A token-bucket limiter spaces request starts (``rate_limit_rps``); the
caller's thread pool bounds concurrency. Error text is scrubbed of the key.

Status classes: ``ok``, ``http_error`` (``http_status`` set, or None for a connection
error), ``timeout``, ``rate_limited`` (429 until attempts ran out), ``malformed_response``,
``empty_content``, ``refusal`` (a ``refusal`` field or ``finish_reason='content_filter'``);
stages add ``unparsable_judgement`` and the runner ``input_error``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import openai
from openai import OpenAI

from generation.config import GenerationConfig, SamplingParams
from generation.redact import Scrubber
from lakehouse.landing import utc_now

if TYPE_CHECKING:
    import httpx2 as httpx  # the openai client's HTTP library

log = logging.getLogger("mmfactory.generation")

OK = "ok"
HTTP_ERROR = "http_error"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
MALFORMED_RESPONSE = "malformed_response"
EMPTY_CONTENT = "empty_content"
REFUSAL = "refusal"
UNPARSABLE_JUDGEMENT = "unparsable_judgement"
INPUT_ERROR = "input_error"
STATUSES = (
    OK,
    HTTP_ERROR,
    TIMEOUT,
    RATE_LIMITED,
    MALFORMED_RESPONSE,
    EMPTY_CONTENT,
    REFUSAL,
    UNPARSABLE_JUDGEMENT,
    INPUT_ERROR,
)
REQUEST_HASH_HEADER = "X-Request-Hash"


@dataclass
class CallOutcome:
    """The result of one request after all its attempts."""

    status: str
    attempts: int
    started_at: datetime
    completed_at: datetime
    latency_ms: float | None = None
    total_ms: float | None = None
    http_status: int | None = None
    error: str | None = None
    response_text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    response_id: str | None = None
    response_model: str | None = None
    endpoint: str | None = None  # the (safe) URL of the endpoint of the last attempt


@dataclass
class Attempt:
    """One attempt: its outcome, and whether the request may be tried again."""

    outcome: CallOutcome
    retryable: bool
    retry_after: float | None = None

    @property
    def is_health_failure(self) -> bool:
        """The endpoint did not answer usefully: connection error, timeout or 5xx (not 429)."""
        return self.retryable and self.outcome.status != RATE_LIMITED

    def final(self, attempts: int, started_at: datetime, t_start: float) -> CallOutcome:
        """The request's outcome when this attempt is its last of ``attempts``."""
        return replace(
            self.outcome,
            attempts=attempts,
            started_at=started_at,
            total_ms=(time.perf_counter() - t_start) * 1000,
        )


class RateLimiter:
    """Spaces request starts at least ``1 / rps`` seconds apart across threads (0 = off)."""

    def __init__(
        self,
        rps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rps if rps > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Block until this caller may start a request."""
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


@dataclass
class _Parsed:
    status: str
    error: str | None = None
    text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    response_id: str | None = None
    response_model: str | None = None


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_completion(body_text: str) -> _Parsed:
    """Classify a 2xx chat-completion body: ok, malformed_response, empty_content, refusal."""
    try:
        body = json.loads(body_text)
    except (json.JSONDecodeError, ValueError) as exc:
        return _Parsed(
            MALFORMED_RESPONSE,
            f"response body is not JSON ({exc.msg} at {exc.pos})"
            if isinstance(exc, json.JSONDecodeError)
            else "response body is not JSON",
        )
    if not isinstance(body, dict):
        return _Parsed(MALFORMED_RESPONSE, "response body is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return _Parsed(MALFORMED_RESPONSE, "response has no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        return _Parsed(MALFORMED_RESPONSE, "first choice has no message")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    parsed = _Parsed(
        OK,
        finish_reason=choice.get("finish_reason")
        if isinstance(choice.get("finish_reason"), str)
        else None,
        prompt_tokens=_as_int(usage.get("prompt_tokens")),
        completion_tokens=_as_int(usage.get("completion_tokens")),
        response_id=body.get("id") if isinstance(body.get("id"), str) else None,
        response_model=body.get("model") if isinstance(body.get("model"), str) else None,
    )
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if content is not None and not isinstance(content, str):
        parsed.status, parsed.error = MALFORMED_RESPONSE, "message content is not text"
        return parsed
    parsed.text = content
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip():
        parsed.status, parsed.error = REFUSAL, f"model refused: {refusal.strip()[:500]}"
        parsed.text = content or refusal
    elif parsed.finish_reason == "content_filter":
        parsed.status, parsed.error = REFUSAL, "finish_reason=content_filter"
    elif content is None or not content.strip():
        parsed.status, parsed.error = EMPTY_CONTENT, "the response has no content"
    return parsed


def _retry_after_s(exc: openai.APIStatusError) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return max(0.0, float(value)) if value is not None else None
    except (ValueError, AttributeError):
        return None


class ChatClient:
    """A thread-safe caller of ``/chat/completions`` at ``cfg.base_url``.

    ``limiter``: a rate limiter shared with other clients (several endpoints of one run
    share the run's ``rate_limit_rps``); by default the client has its own.
    ``http_client``: a connection pool shared with other clients (its owner closes it;
    making one costs ~0.15 s, mostly loading the CA certificates); by default its own.
    """

    def __init__(
        self,
        cfg: GenerationConfig,
        scrubber: Scrubber | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.cfg = cfg
        self.scrubber = scrubber or cfg.scrubber()
        self.endpoint = cfg.safe_base_url
        self._sleep = sleep
        self._limiter = limiter or RateLimiter(cfg.rate_limit_rps)
        # vLLM and SGLang accept any key when started without one; the openai client
        # needs a non-empty string.
        self._client = OpenAI(
            base_url=cfg.base_url,
            api_key=cfg.api_key.reveal() or "EMPTY",
            max_retries=0,
            timeout=cfg.timeout_s,
            http_client=http_client,
        )
        self._owns_http = http_client is None

    def close(self) -> None:
        """Close the HTTP connection pool (unless it is shared)."""
        if self._owns_http:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def backoff_s(self, attempt: int, retry_after: float | None) -> float:
        """The pause before attempt ``attempt + 1``: exponential, jittered, capped."""
        delay = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2 ** (attempt - 1))
        delay *= 0.5 + random.random() / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cfg.backoff_max_s))
        return delay

    def attempt(
        self,
        messages: list[dict[str, Any]],
        model: str,
        sampling: SamplingParams,
        request_hash: str,
    ) -> Attempt:
        """One attempt of the call (after the rate limiter); never raises for a failed call."""
        kwargs: dict[str, Any] = dict(sampling.as_dict())
        self._limiter.acquire()
        started_at = utc_now()
        t0 = time.perf_counter()
        retry_after: float | None = None
        try:
            raw = self._client.chat.completions.with_raw_response.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                extra_headers={REQUEST_HASH_HEADER: request_hash},
                **kwargs,
            )
            body_text = raw.text
            latency_ms = (time.perf_counter() - t0) * 1000
            parsed = parse_completion(body_text)
            outcome = CallOutcome(
                status=parsed.status,
                attempts=1,
                started_at=started_at,
                completed_at=utc_now(),
                latency_ms=latency_ms,
                http_status=raw.http_response.status_code,
                error=self.scrubber.text(parsed.error),
                response_text=parsed.text,
                finish_reason=parsed.finish_reason,
                prompt_tokens=parsed.prompt_tokens,
                completion_tokens=parsed.completion_tokens,
                response_id=parsed.response_id,
                response_model=parsed.response_model,
                endpoint=self.endpoint,
            )
            return Attempt(outcome, retryable=False)
        except openai.APITimeoutError as exc:
            status, code, retryable, error = TIMEOUT, None, True, self.scrubber.exception(exc)
        except openai.APIConnectionError as exc:
            status, code, retryable, error = (
                HTTP_ERROR,
                None,
                True,
                self.scrubber.exception(exc),
            )
        except openai.APIStatusError as exc:
            code = exc.status_code
            error = self.scrubber.exception(exc)
            if code == 429:
                status, retryable, retry_after = RATE_LIMITED, True, _retry_after_s(exc)
            else:
                status, retryable = HTTP_ERROR, code >= 500
        except Exception as exc:  # noqa: BLE001 - land any other failure as a row, never crash the run
            status, code, retryable, error = (
                HTTP_ERROR,
                None,
                False,
                self.scrubber.exception(exc),
            )
        outcome = CallOutcome(
            status=status,
            attempts=1,
            started_at=started_at,
            completed_at=utc_now(),
            latency_ms=(time.perf_counter() - t0) * 1000,
            http_status=code,
            error=error,
            endpoint=self.endpoint,
        )
        return Attempt(outcome, retryable, retry_after)

    def complete(
        self,
        messages: list[dict[str, Any]],
        model: str,
        sampling: SamplingParams,
        request_hash: str,
    ) -> CallOutcome:
        """Make the call, retrying transient failures; returns the final outcome."""
        started_at = utc_now()
        t_start = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            result = self.attempt(messages, model, sampling, request_hash)
            if not result.retryable or attempt >= self.cfg.max_attempts:
                return result.final(attempt, started_at, t_start)
            delay = self.backoff_s(attempt, result.retry_after)
            log.info(
                "request %s attempt %d: %s (%s); retrying in %.2fs",
                request_hash[:12],
                attempt,
                result.outcome.status,
                result.outcome.http_status or "-",
                delay,
            )
            self._sleep(delay)
