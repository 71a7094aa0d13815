"""generation.runner: skip what succeeded, land in batches, retry failures next run."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from generation.items import AnnotatedImage
from generation.runner import RunLockedError, run_requests, stage_lock
from generation.stages.recaption import recaption_request, run_recaption
from generation.store import GENERATIONS, read_landed


def test_second_run_makes_zero_calls(cfg, server, wh, coco_items) -> None:
    items = coco_items[:10]
    first = run_recaption(items, cfg)
    assert (first.n_requests, first.n_called, first.n_ok) == (10, 10, 10)
    assert len(first.files) == 3  # batches of 4: 4 + 4 + 2
    assert server.n_calls == 10
    second = run_recaption(items, cfg)
    assert (second.n_cached, second.n_called, second.files) == (10, 0, [])
    assert server.n_calls == 10
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert len(rows) == 10 and {r["status"] for r in rows} == {"ok"}
    assert sorted(r["batch_no"] for r in rows) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    r = rows[0]
    assert r["cost_usd"] == pytest.approx(
        (r["prompt_tokens"] * 1.0 + r["completion_tokens"] * 2.0) / 1e6
    )
    assert r["base_url"] == server.base_url and r["attempts"] == 1 and r["latency_ms"] > 0


def test_failures_are_landed_and_only_they_are_called_again(cfg, server, wh, tiny_items) -> None:
    requests = [recaption_request(it, cfg) for it in tiny_items]
    bad = {
        requests[1].request_hash: "400",
        requests[2].request_hash: "malformed",
        requests[3].request_hash: "empty",
        requests[4].request_hash: "refusal",
    }
    for h, fault in bad.items():
        server.inject([fault], when=lambda call, h=h: call.request_hash == h)
    server.inject(["429"], when=lambda call: call.request_hash == requests[0].request_hash)
    first = run_requests(requests, cfg, stage="recaption")
    assert first.status_counts == {
        "ok": 4,
        "http_error": 1,
        "malformed_response": 1,
        "empty_content": 1,
        "refusal": 1,
    }
    rows = {r["request_hash"]: r for r in read_landed(wh, GENERATIONS).to_pylist()}
    assert rows[requests[0].request_hash]["attempts"] == 2  # one 429, then ok
    assert (
        rows[requests[1].request_hash]["http_status"] == 400
        and rows[requests[1].request_hash]["attempts"] == 1
    )
    assert rows[requests[4].request_hash]["error"].startswith("model refused")
    calls_before = server.n_calls
    second = run_requests(requests, cfg, stage="recaption")
    assert (second.n_cached, second.n_called, second.n_ok) == (4, 4, 4)
    assert {c.request_hash for c in server.calls[calls_before:]} == set(bad)
    assert run_requests(requests, cfg, stage="recaption").n_called == 0


def test_unreadable_image_lands_as_input_error_without_a_call(
    cfg, server, wh, tiny_items, tmp_path
) -> None:
    gone = AnnotatedImage("f" * 64, tmp_path / "gone.png", 10, 10)
    report = run_recaption([gone, tiny_items[0]], cfg)
    assert report.status_counts == {"input_error": 1, "ok": 1} and server.n_calls == 1
    row = next(r for r in read_landed(wh, GENERATIONS).to_pylist() if r["status"] == "input_error")
    assert row["attempts"] == 0 and "cannot be read" in row["error"]


def test_duplicates_are_called_once_and_dry_run_calls_nothing(cfg, server, tiny_items) -> None:
    items = tiny_items[:3] * 2
    assert run_recaption(items, cfg, dry_run=True).n_pending == 3 and server.n_calls == 0
    assert run_recaption(items, cfg).n_called == 3 and server.n_calls == 3


def test_budget_stops_new_calls_and_lands_what_was_answered(cfg, server, wh, tiny_items) -> None:
    report = run_recaption(tiny_items, replace(cfg, concurrency=1, max_cost_usd=1e-9))
    assert report.stopped_reason and report.stopped_reason.startswith("budget")
    assert (
        report.n_called < len(tiny_items)
        and read_landed(wh, GENERATIONS).num_rows == report.n_called
    )


def test_one_run_per_stage_at_a_time(wh) -> None:
    with stage_lock(wh, "recaption"):
        errors = []

        def other() -> None:
            try:
                with stage_lock(wh, "recaption"):
                    pass
            except RunLockedError as exc:
                errors.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        with stage_lock(wh, "judge"):  # another stage may run alongside
            pass
    assert len(errors) == 1
