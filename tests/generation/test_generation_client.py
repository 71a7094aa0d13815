"""generation.client against the loopback server through the real openai client:
retries with counted attempts on 429 / 5xx / timeouts / dropped connections, no retry on
other 4xx, and each failure class recorded instead of raised."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from generation import client as C
from generation.client import ChatClient, RateLimiter, parse_completion
from generation.config import SamplingParams
from tests.generation.fake_server import Reply

MESSAGES = [{"role": "user", "content": "Say something about a dog."}]


def _call(cfg, h: str = "h" * 64):
    with ChatClient(cfg) as client:
        return client.complete(MESSAGES, cfg.model, SamplingParams(), h)


def test_ok_call_reports_text_usage_latency_and_sends_key_and_hash(cfg, server) -> None:
    out = _call(cfg, "abc")
    assert out.status == C.OK and out.attempts == 1 and out.http_status == 200
    assert out.response_text.startswith("A detailed description") and out.finish_reason == "stop"
    assert out.prompt_tokens > 0 and out.completion_tokens > 0 and out.latency_ms > 0
    call = server.calls[-1]
    assert call.has_authorization and call.request_hash == "abc"
    assert call.params == {"temperature": 0.2, "top_p": 1.0, "max_tokens": 1024}


@pytest.mark.parametrize(
    ("faults", "status", "attempts"),
    [
        (["429"], C.OK, 2),
        (["500", "503"], C.OK, 3),
        (["timeout"], C.OK, 2),
        (["drop"], C.OK, 2),
        (["429", "429", "429"], C.RATE_LIMITED, 3),
        (["500", "500", "500"], C.HTTP_ERROR, 3),
        (["timeout", "timeout", "timeout"], C.TIMEOUT, 3),
    ],
)
def test_transient_failures_are_retried_and_counted(cfg, server, faults, status, attempts) -> None:
    server.inject(faults)
    out = _call(cfg)
    assert (out.status, out.attempts) == (status, attempts)
    assert server.n_calls == attempts
    if status == C.HTTP_ERROR:
        assert out.http_status == 500 and "500" in out.error
    if status == C.RATE_LIMITED:
        assert out.http_status == 429


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("400", C.HTTP_ERROR),
        ("malformed", C.MALFORMED_RESPONSE),
        ("empty", C.EMPTY_CONTENT),
        ("refusal", C.REFUSAL),
        ("content_filter", C.REFUSAL),
    ],
)
def test_non_retryable_failures_are_recorded_after_one_attempt(cfg, server, fault, status) -> None:
    server.inject([fault])
    out = _call(cfg)
    assert (out.status, out.attempts, server.n_calls) == (status, 1, 1)
    assert out.error
    if fault == "400":
        assert out.http_status == 400
    if fault == "refusal":
        assert "can't help" in out.error


def test_wrong_key_is_a_401_not_retried(cfg, server) -> None:
    server.api_key = "sk-some-other-key-000000"
    out = _call(cfg)
    assert (out.status, out.http_status, out.attempts) == (C.HTTP_ERROR, 401, 1)


def test_key_echoed_by_a_server_is_scrubbed_from_errors_and_text(cfg, server, api_key) -> None:
    body = json.dumps(
        {"error": {"message": f"bad header Authorization: Bearer {api_key}"}}
    ).encode()
    server.inject([Reply(status=403, body=body)])
    out = _call(cfg)
    assert out.http_status == 403 and api_key not in out.error and "[REDACTED]" in out.error


def test_retry_after_is_honoured(cfg, server) -> None:
    server.inject(
        [Reply(status=429, body=b'{"error": {"message": "slow"}}', headers={"Retry-After": "0.3"})]
    )
    t0 = time.perf_counter()
    out = _call(replace(cfg, backoff_max_s=1.0))
    assert out.status == C.OK and out.attempts == 2 and time.perf_counter() - t0 >= 0.3


def test_rate_limiter_spaces_starts() -> None:
    now = [0.0]
    slept: list[float] = []
    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=slept.append)
    for _ in range(3):
        limiter.acquire()
    assert slept == [0.25, 0.5]


def test_parse_completion_classes() -> None:
    assert parse_completion("{").status == C.MALFORMED_RESPONSE
    assert parse_completion('{"choices": []}').status == C.MALFORMED_RESPONSE
    assert (
        parse_completion('{"choices": [{"message": {"content": "  "}}]}').status == C.EMPTY_CONTENT
    )
    ok = parse_completion(
        '{"choices": [{"message": {"content": [{"type": "text", "text": "hi"}]},'
        ' "finish_reason": "length"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}'
    )
    assert (ok.status, ok.text, ok.finish_reason, ok.prompt_tokens) == (C.OK, "hi", "length", 5)
