"""generation.dispatch over real loopback servers of different speeds: requests split in
proportion to speed, a failed attempt moves to another endpoint, a server killed mid-run
loses nothing and answers nothing twice; the health state machine on a fake clock."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from generation.client import HTTP_ERROR, OK, RATE_LIMITED, TIMEOUT, Attempt, CallOutcome
from generation.config import GenerationConfig, SamplingParams, config_from_env
from generation.dispatch import ALL_SET_ASIDE, EndpointPool
from generation.endpoints import Endpoint
from generation.prompts import PromptTemplate
from generation.requests import GenerationRequest
from generation.runner import run_requests
from generation.store import GENERATIONS, read_landed
from lakehouse.landing import utc_now
from tests.generation.fake_server import FakeChatServer, Reply
from tests.generation.testkit import TEST_MODEL

TEMPLATE = PromptTemplate("test.say.v1", "You answer briefly.", "Say something about $i.")


def _requests(n: int, tag: str = "") -> list[GenerationRequest]:
    """``n`` distinct text-only requests (no images: the client's work stays small)."""
    return [
        GenerationRequest(
            stage="recaption",
            item_id=f"item-{i}",
            model=TEST_MODEL,
            sampling=SamplingParams(),
            template=TEMPLATE,
            variables={"i": f"{tag}{i}"},
        )
        for i in range(n)
    ]


def _cfg(servers: list[FakeChatServer], prices_csv, **overrides) -> GenerationConfig:
    settings = dict(
        model=TEST_MODEL,
        concurrency=2,
        batch_size=8,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        timeout_s=5.0,
        prices_path=prices_csv,
    )
    settings.update(overrides)
    return config_from_env(env={}, base_url=[s.base_url for s in servers], **settings)


@pytest.fixture
def servers(request):
    """Loopback servers with the latencies given by ``request.param``."""
    started = [FakeChatServer(latency_s=latency).start() for latency in request.param]
    yield started
    for srv in started:
        srv.stop()


def _answered_once(servers: list[FakeChatServer], hashes: set[str]) -> dict[str, str]:
    """Each hash's answering server URL; fails unless every hash got exactly one answer."""
    by_hash: dict[str, list[str]] = {}
    for srv in servers:
        for h, n in srv.ok_by_hash.items():
            by_hash.setdefault(h, []).extend([srv.base_url] * n)
    assert set(by_hash) == hashes
    twice = {h: urls for h, urls in by_hash.items() if len(urls) != 1}
    assert not twice, f"answered more than once: {twice}"
    return {h: urls[0] for h, urls in by_hash.items()}


@pytest.mark.parametrize("servers", [(0.1, 0.2, 0.4)], indirect=True)
def test_requests_split_in_proportion_to_speed(servers, wh, prices_csv) -> None:
    """Three servers, 2 in flight each, 100/200/400 ms: ideal rates 20, 10 and 5 per second.

    With every slot kept busy each server completes requests at its own rate, so the split
    of the steady state (the start, when every server takes its first two, and the tail,
    once fewer requests are left than slots, left out) follows the speeds 4:2:1. The
    throughput that split allows, min over servers of (ideal share / actual share) of the
    sum of the ideal rates, must be at least 85%. (The wall-clock figure is in the
    benchmark, bench/bench_endpoints.py, not asserted here on a shared machine.)
    """
    cfg = _cfg(servers, prices_csv)
    requests = _requests(84)
    report = run_requests(requests, cfg, stage="recaption", wh=wh)
    assert report.n_ok == len(requests)
    answered_by = _answered_once(servers, {r.request_hash for r in requests})
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert len(rows) == len(requests) and {r["status"] for r in rows} == {"ok"}
    assert {r["request_hash"]: r["base_url"] for r in rows} == answered_by
    assert report.by_endpoint == Counter(answered_by.values())

    slots = sum(2 for _ in servers)
    calls = sorted(
        ((c.received_at, srv.base_url) for srv in servers for c in srv.calls),
        key=lambda t: t[0],
    )
    steady = Counter(url for _, url in calls[slots:-slots])
    rates = {srv.base_url: 2 / srv.latency_s for srv in servers}
    total_rate, n_steady = sum(rates.values()), sum(steady.values())
    efficiency = min(
        (rates[url] / total_rate) / (steady[url] / n_steady) for url in rates if steady[url]
    )
    shares = {url: round(steady[url] / n_steady, 3) for url in rates}
    assert all(steady[url] for url in rates), shares
    assert efficiency >= 0.85, f"split {shares} allows {efficiency:.0%} of the ideal sum"


@pytest.mark.parametrize("servers", [(0.05, 0.05, 0.05)], indirect=True)
def test_a_server_killed_mid_run_loses_nothing_and_answers_nothing_twice(
    servers, wh, prices_csv
) -> None:
    victim = servers[1]
    victim.hold_after_ok(4)  # answers 4, then holds the next requests until killed

    def kill_when_holding() -> None:
        if victim.holding.wait(20):
            victim.kill()

    killer = threading.Thread(target=kill_when_holding)
    killer.start()
    cfg = _cfg(servers, prices_csv, endpoint_cooldown_s=60.0)
    requests = _requests(60, tag="kill-")
    report = run_requests(requests, cfg, stage="recaption", wh=wh)
    killer.join()
    assert victim.is_killed and report.n_ok == len(requests) and report.n_failed == 0

    # server side: every request answered exactly once over the three servers
    answered_by = _answered_once(servers, {r.request_hash for r in requests})
    cut = [c.request_hash for c in victim.calls if c.outcome == "held-dropped"]
    assert cut, "the victim had requests in flight when it died"
    assert all(answered_by[h] != victim.base_url for h in cut)
    assert sum(1 for url in answered_by.values() if url == victim.base_url) == 4

    # landed side: one ok row per request, naming the server that answered it
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert len(rows) == len(requests) and {r["status"] for r in rows} == {"ok"}
    assert {r["request_hash"]: r["base_url"] for r in rows} == answered_by
    moved = [r for r in rows if r["request_hash"] in cut]
    assert moved and all(r["attempts"] >= 2 for r in moved)

    # the dead endpoint was set aside once and then left alone
    stats = {s.url: s for s in report.endpoint_stats}[victim.base_url]
    assert stats.times_set_aside == 1 and stats.answered == 4
    assert stats.failed <= len(cut) + cfg.endpoint_max_failures + 2


@pytest.mark.parametrize("servers", [(0.0, 0.0)], indirect=True)
def test_a_failed_attempt_moves_to_another_endpoint_at_once(servers, wh, prices_csv) -> None:
    broken, healthy = servers
    broken.responder = lambda call: Reply(status=503, body=b'{"error": "overloaded"}')
    cfg = _cfg(servers, prices_csv, endpoint_cooldown_s=60.0)
    sleeps: list[float] = []
    requests = _requests(12, tag="move-")
    with EndpointPool(cfg, sleep=sleeps.append) as pool:
        report = run_requests(requests, cfg, stage="recaption", wh=wh, client=pool)
        stats = {s.url: s for s in pool.stats()}
    assert report.n_ok == 12 and sleeps == []  # no backoff: another endpoint was there
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert {r["base_url"] for r in rows} == {healthy.base_url}
    tried_first_on_broken = {c.request_hash for c in broken.calls}
    assert tried_first_on_broken and all(
        r["attempts"] == (2 if r["request_hash"] in tried_first_on_broken else 1) for r in rows
    )
    assert stats[broken.base_url].times_set_aside == 1
    assert len(broken.calls) <= cfg.endpoint_max_failures + 1  # then left alone


# -- the scheduler's state machine, no HTTP --------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _attempt(status: str, retryable: bool) -> Attempt:
    now = utc_now()
    return Attempt(CallOutcome(status, 1, now, now, latency_ms=10.0), retryable)


OK_ATTEMPT = _attempt(OK, False)
DOWN = _attempt(HTTP_ERROR, True)  # connection error / 5xx


def _pool(limits: tuple[int, ...], clock: Clock) -> EndpointPool:
    """A pool over unused loopback ports (nothing is called), backoff sleeps skipped."""
    endpoints = tuple(Endpoint(f"http://127.0.0.1:{9 + i}/v1", n) for i, n in enumerate(limits))
    cfg = GenerationConfig(
        base_url=endpoints[0].url,
        endpoints=endpoints,
        endpoint_max_failures=3,
        endpoint_cooldown_s=30.0,
        timeout_s=1.0,
    )
    return EndpointPool(cfg, sleep=lambda s: None, clock=clock)


def test_least_outstanding_relative_to_each_limit() -> None:
    pool = _pool((4, 2), Clock())
    slots = [pool.acquire() for _ in range(6)]
    assert Counter(s.index for s in slots) == {0: 4, 1: 2}
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not got  # both at their limit: the request waits
    pool.release(next(s for s in slots if s.index == 1), OK_ATTEMPT)
    waiter.join(5)
    assert got and got[0].index == 1  # the freed slot
    # a request avoids the endpoint it failed on, unless no other has room
    pool.release(slots[0], OK_ATTEMPT)
    assert pool._pick({0}, 0.0) is None  # endpoint 1 is full: wait for it, not 0
    pool.release(got[0], OK_ATTEMPT)
    pool.release(slots[2], OK_ATTEMPT)
    assert pool.acquire(avoid={0}).index == 1


def test_an_endpoint_failing_repeatedly_is_set_aside_then_probed_back() -> None:
    clock = Clock()
    pool = _pool((2, 2), clock)
    a = pool.states[0]
    for _ in range(2):  # failures below the threshold, then an answer: still in service
        pool.release(pool.acquire(avoid={1}), DOWN)
    pool.release(pool.acquire(avoid={1}), OK_ATTEMPT)
    assert a.set_aside_until is None and a.failures_in_a_row == 0
    pool.release(pool.acquire(avoid={1}), _attempt(RATE_LIMITED, True))  # 429: neither way
    for _ in range(3):
        pool.release(pool.acquire(avoid={1}), _attempt(TIMEOUT, True))
    assert a.set_aside_until == clock.now + 30 and a.times_set_aside == 1
    assert {pool.acquire(avoid={1}).index for _ in range(2)} == {1}  # only b now

    clock.now += 31  # cool-down over: one probe at a time
    probe = pool.acquire()
    assert probe.index == 0 and probe.probe and a.capacity(clock.now) == 0
    pool.release(probe, DOWN)  # probe failed: set aside again
    assert a.set_aside_until == clock.now + 30 and a.times_set_aside == 2
    clock.now += 31
    probe = pool.acquire()
    pool.release(probe, OK_ATTEMPT)  # probe answered: back with its full limit
    assert a.set_aside_until is None and a.capacity(clock.now) == 2


def test_every_endpoint_set_aside_fails_the_attempt_at_once() -> None:
    clock = Clock()
    pool = _pool((1, 1), clock)
    for i in (0, 1):
        for _ in range(3):
            pool.release(pool.acquire(avoid={1 - i}), DOWN)
    assert pool.acquire() is None
    outcome = pool.complete([{"role": "user", "content": "x"}], "m", SamplingParams(), "h" * 64)
    assert outcome.status == HTTP_ERROR and outcome.error == ALL_SET_ASIDE
    assert outcome.attempts == pool.cfg.max_attempts


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_endpoint_down_at_the_start_is_set_aside_then_used_once_it_is_up(
    wh, prices_csv
) -> None:
    port = _free_port()  # nothing listens here yet
    late = FakeChatServer(latency_s=0.02, port=port)
    with FakeChatServer(latency_s=0.05) as up:
        cfg = config_from_env(
            env={},
            base_url=[f"http://127.0.0.1:{port}/v1", up.base_url],
            model=TEST_MODEL,
            concurrency=2,
            batch_size=8,
            max_attempts=3,
            backoff_base_s=0.01,
            backoff_max_s=0.05,
            timeout_s=5.0,
            prices_path=prices_csv,
            endpoint_max_failures=2,
            endpoint_cooldown_s=0.3,
        )
        pool = EndpointPool(cfg)
        down = pool.states[0]

        def start_when_set_aside() -> None:
            for _ in range(500):
                if down.times_set_aside:
                    late.start()
                    return
                threading.Event().wait(0.01)

        starter = threading.Thread(target=start_when_set_aside)
        starter.start()
        requests = _requests(60, tag="late-")
        try:
            report = run_requests(requests, cfg, stage="recaption", wh=wh, client=pool)
        finally:
            starter.join()
            pool.close()
            late.stop()
        assert report.n_ok == 60
        answered_by = _answered_once([late, up], {r.request_hash for r in requests})
    assert down.times_set_aside >= 1 and down.set_aside_until is None  # back in service
    came_back = sum(1 for url in answered_by.values() if url == late.base_url)
    assert came_back > 0, "the endpoint was never used again after its cool-down"
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert {r["request_hash"]: r["base_url"] for r in rows} == answered_by
