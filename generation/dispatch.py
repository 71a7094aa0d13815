"""Requests spread over several endpoints: least outstanding requests, limits, health.

In: the run's ``GenerationConfig`` (``all_endpoints``: URL, concurrency limit, served model
name, key of each), the messages of one request at a time, from many threads.
Out: the request's ``CallOutcome``, whose ``endpoint`` names the endpoint of its last attempt.

- Choice: each attempt goes to the endpoint with the fewest requests in flight relative to
  its concurrency limit (ties: the lower recent latency, then the order listed); an
  endpoint at its limit takes nothing more, so a fast endpoint, freeing its slots sooner,
  takes proportionally more requests.
- Retries: an attempt that failed (connection error, timeout, 5xx, 429) is tried again on
  an endpoint this request has not failed on yet, without backoff (waiting for a free slot
  there if need be); only when every endpoint in service already failed it does the
  request back off (as a single endpoint does) and try them again. At most
  ``max_attempts`` attempts in all, whatever the endpoints.
- Health (circuit breaker): ``endpoint_max_failures`` connection errors / timeouts / 5xx
  in a row set an endpoint aside for ``endpoint_cooldown_s``; after that one request at a
  time probes it: an answer puts it back in service, a failure sets it aside again. Any
  answer (even a 4xx or an unusable body) counts as alive; a 429 counts neither way. When
  every endpoint is set aside an attempt fails at once ("every endpoint is set aside") and
  the request backs off.
- One endpoint: the single-client behaviour of ``ChatClient.complete`` (retries with
  backoff on it, never set aside).

The cache and resume guarantees are the runner's and do not depend on the endpoint: a
request is identified by its hash (the endpoint is not part of it), and each request is
landed once, by the thread that made its final attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Self

from openai import DefaultHttpxClient

from generation.client import (
    HTTP_ERROR,
    RATE_LIMITED,
    Attempt,
    CallOutcome,
    ChatClient,
    RateLimiter,
)
from generation.config import GenerationConfig, SamplingParams
from generation.endpoints import Endpoint
from generation.redact import Scrubber
from lakehouse.landing import utc_now

log = logging.getLogger("mmfactory.generation")

ALL_SET_ASIDE = "every endpoint is set aside after repeated failures"
_EWMA = 0.2  # weight of the newest latency in an endpoint's recent latency


@dataclass(eq=False)
class EndpointState:
    """One endpoint's client, load and health (guarded by the pool's lock)."""

    endpoint: Endpoint
    client: ChatClient
    limit: int
    in_flight: int = 0
    failures_in_a_row: int = 0
    set_aside_until: float | None = None  # None = in service
    probing: bool = False  # a request is probing the endpoint after its cool-down
    latency_ms: float | None = None
    attempts: int = 0
    answered: int = 0
    failed: int = 0
    times_set_aside: int = 0

    @property
    def url(self) -> str:
        """The endpoint's safe URL."""
        return self.endpoint.safe_url

    def capacity(self, now: float) -> int:
        """How many requests it may have in flight now (0 while set aside)."""
        if self.set_aside_until is None:
            return self.limit
        if now < self.set_aside_until or self.probing:
            return 0
        return 1  # cool-down over: one probe at a time

    def is_usable(self, now: float) -> bool:
        """In service, or its cool-down is over (whether or not a slot is free)."""
        return self.set_aside_until is None or now >= self.set_aside_until


@dataclass
class EndpointStats:
    """What one endpoint did in a run (for the report)."""

    url: str
    limit: int
    attempts: int
    answered: int
    failed: int
    times_set_aside: int


@dataclass
class _Slot:
    state: EndpointState
    index: int
    probe: bool = False
    released: bool = field(default=False, repr=False)


class EndpointPool:
    """Thread-safe ``complete()`` over the endpoints of ``cfg`` (one ``ChatClient`` each)."""

    def __init__(
        self,
        cfg: GenerationConfig,
        scrubber: Scrubber | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg = cfg
        self.scrubber = scrubber or cfg.scrubber()
        self._sleep = sleep
        self._clock = clock
        self._cond = threading.Condition()
        limiter = RateLimiter(cfg.rate_limit_rps)
        endpoints = cfg.all_endpoints
        # one connection pool for all endpoints (the openai client's own, with its limits)
        self._http = DefaultHttpxClient() if len(endpoints) > 1 else None
        self.states: list[EndpointState] = []
        for ep in endpoints:
            ep_cfg = replace(cfg, base_url=ep.url, api_key=ep.api_key, endpoints=())
            client = ChatClient(
                ep_cfg, self.scrubber, sleep=sleep, limiter=limiter, http_client=self._http
            )
            self.states.append(EndpointState(ep, client, ep.concurrency or cfg.concurrency))

    @property
    def total_concurrency(self) -> int:
        """The sum of the endpoints' limits: how many requests the run keeps in flight."""
        return sum(s.limit for s in self.states)

    def stats(self) -> list[EndpointStats]:
        """Per endpoint: attempts, answered, failed attempts, times set aside."""
        with self._cond:
            return [
                EndpointStats(s.url, s.limit, s.attempts, s.answered, s.failed, s.times_set_aside)
                for s in self.states
            ]

    def close(self) -> None:
        """Close the connection pool(s)."""
        for s in self.states:
            s.client.close()
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- choosing and releasing an endpoint -------------------------------------------
    def _pick(self, avoid: set[int], now: float) -> tuple[int, EndpointState] | None:
        """The free endpoint to use now, or None (wait). An endpoint in ``avoid`` is used only
        when every endpoint outside it is set aside: a busy fresh one is worth the wait."""
        usable = [i for i, s in enumerate(self.states) if s.is_usable(now)]
        allowed = [i for i in usable if i not in avoid] or usable
        candidates = [
            (i, self.states[i])
            for i in allowed
            if self.states[i].in_flight < self.states[i].capacity(now)
        ]
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda p: (
                p[1].in_flight / p[1].limit,
                p[1].latency_ms if p[1].latency_ms is not None else 0.0,
                p[0],
            ),
        )

    def acquire(self, avoid: set[int] | None = None) -> _Slot | None:
        """A slot on the best endpoint (waiting while all are busy); None if all are set aside.

        ``avoid``: indexes of endpoints this request failed on (see ``_pick``).
        """
        avoid = avoid or set()
        with self._cond:
            while True:
                now = self._clock()
                if not any(s.is_usable(now) for s in self.states):
                    return None
                picked = self._pick(avoid, now)
                if picked is not None:
                    index, best = picked
                    probe = best.set_aside_until is not None
                    best.probing = best.probing or probe
                    best.in_flight += 1
                    best.attempts += 1
                    return _Slot(best, index, probe)
                waits = [
                    s.set_aside_until - now
                    for s in self.states
                    if s.set_aside_until is not None and s.set_aside_until > now
                ]
                self._cond.wait(timeout=min([0.5, *waits]))

    def release(self, slot: _Slot, attempt: Attempt) -> None:
        """Account for ``attempt`` on the slot's endpoint and free the slot."""
        if slot.released:
            return
        slot.released = True
        s = slot.state
        with self._cond:
            s.in_flight -= 1
            if slot.probe:
                s.probing = False
            if attempt.is_health_failure:
                s.failed += 1
                s.failures_in_a_row += 1
                if len(self.states) > 1 and (
                    slot.probe
                    or (
                        s.set_aside_until is None
                        and s.failures_in_a_row >= self.cfg.endpoint_max_failures
                    )
                ):
                    s.set_aside_until = self._clock() + self.cfg.endpoint_cooldown_s
                    s.times_set_aside += 1
                    log.warning(
                        "endpoint %s set aside for %.0f s after %d failures in a row (%s)",
                        s.url,
                        self.cfg.endpoint_cooldown_s,
                        s.failures_in_a_row,
                        attempt.outcome.status,
                    )
            elif attempt.outcome.status != RATE_LIMITED:
                s.answered += 1
                s.failures_in_a_row = 0
                if s.set_aside_until is not None:
                    log.warning("endpoint %s answered again: back in service", s.url)
                    s.set_aside_until = None
                latency = attempt.outcome.latency_ms
                if latency is not None:
                    s.latency_ms = (
                        latency
                        if s.latency_ms is None
                        else (1 - _EWMA) * s.latency_ms + _EWMA * latency
                    )
            self._cond.notify_all()

    def _has_fresh(self, avoid: set[int]) -> bool:
        with self._cond:
            now = self._clock()
            return any(s.is_usable(now) and i not in avoid for i, s in enumerate(self.states))

    # -- one request ------------------------------------------------------------------
    def complete(
        self,
        messages: list[dict[str, Any]],
        model: str,
        sampling: SamplingParams,
        request_hash: str,
    ) -> CallOutcome:
        """Make the call on the best endpoint, moving to another after a failure."""
        started_at = utc_now()
        t_start = time.perf_counter()
        avoid: set[int] = set()
        attempt = 0
        while True:
            attempt += 1
            slot = self.acquire(avoid)
            if slot is None:
                now = utc_now()
                result = Attempt(
                    CallOutcome(HTTP_ERROR, 1, now, now, error=ALL_SET_ASIDE), retryable=True
                )
            else:
                state = slot.state
                try:
                    result = state.client.attempt(
                        messages, state.endpoint.model or model, sampling, request_hash
                    )
                except BaseException:  # e.g. KeyboardInterrupt: free the slot, then go
                    now = utc_now()
                    self.release(slot, Attempt(CallOutcome(HTTP_ERROR, 1, now, now), False))
                    raise
                self.release(slot, result)
                if result.retryable:
                    avoid.add(slot.index)
            if not result.retryable or attempt >= self.cfg.max_attempts:
                return result.final(attempt, started_at, t_start)
            if self._has_fresh(avoid):
                delay = 0.0  # an endpoint has not failed this request yet: go there now
            else:
                avoid.clear()
                delay = self.states[0].client.backoff_s(attempt, result.retry_after)
            log.info(
                "request %s attempt %d on %s: %s (%s); retrying %s",
                request_hash[:12],
                attempt,
                result.outcome.endpoint or "-",
                result.outcome.status,
                result.outcome.http_status or "-",
                f"in {delay:.2f}s" if delay else "at once on another endpoint",
            )
            if delay:
                self._sleep(delay)
