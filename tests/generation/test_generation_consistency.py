"""generation.stages.consistency: n samples, agreement by majority / IoU / token overlap."""

from __future__ import annotations

import pytest

from generation.items import ConsistencyItem
from generation.stages.consistency import (
    agreement,
    consistency_requests,
    extract_box,
    extract_number,
    iou,
    run_consistency,
    token_overlap,
)
from generation.store import GENERATIONS, read_landed
from lakehouse.tables.generation import CONSISTENCY_SCORES


def test_numbers_by_majority() -> None:
    a = agreement("number", ["3", "There are 3 dogs.", "three", "4", "no idea"])
    assert (a["majority_answer"], a["agreement_score"], a["n_parsed"]) == ("3", 0.6, 4)
    assert a["answers"] == ["3", "3", "3", "4", None]
    assert extract_number("2.50 apples") == "2.5" and extract_number("I see two, maybe 3") == "2"


def test_boxes_by_mean_pairwise_iou() -> None:
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    a = agreement("box", ["[0, 0, 10, 10]", "The box is [0,0,10,10].", "[5, 0, 15, 10]"])
    assert a["agreement_score"] == pytest.approx((1 + 1 / 3 + 1 / 3) / 3)
    assert a["majority_answer"] == "[0, 0, 10, 10]"
    assert agreement("box", ["[0, 0, 10, 10]", "no box"])["agreement_score"] == 0.0
    assert extract_box("[10, 20, 5, 8]") == (5, 8, 10, 20)


def test_text_by_token_overlap_and_auto_kind() -> None:
    assert token_overlap("A red car", "a RED car.") == 1.0
    assert token_overlap("a red car", "a blue bus") == pytest.approx(1 / 5)
    a = agreement("auto", ["A dog on grass.", "A dog on the grass.", "A cat indoors."])
    assert a["answer_kind"] == "text" and 0 < a["agreement_score"] < 1
    assert agreement("auto", ["2", "2", "3"])["answer_kind"] == "number"
    assert agreement("auto", ["[1, 2, 3, 4]", "[1, 2, 3, 5]"])["answer_kind"] == "box"


def test_stage_samples_n_times_and_scores_complete_groups(cfg, server, wh, tiny_items) -> None:
    answers = {0: "2", 1: "2", 2: "3", 3: "2", 4: "2"}
    server.responder = lambda call: answers[call.params["seed"] - 100]
    items = [
        ConsistencyItem(f"q{i}", "How many red blocks are there?", (tiny_items[i].ref,), "number")
        for i in range(2)
    ]
    seeded = cfg.with_overrides(seed=100, temperature=0.7)
    first = run_consistency(items, seeded, n=3)
    assert first.n_called == 6 and first.derived_counts == {"consistency_scores": 2}
    rows = read_landed(wh, CONSISTENCY_SCORES).to_pylist()
    assert [r["agreement_score"] for r in rows] == [pytest.approx(2 / 3)] * 2
    assert all(r["majority_answer"] == "2" and r["n_samples"] == 3 for r in rows)
    gen = read_landed(wh, GENERATIONS).to_pylist()
    assert len({r["group_hash"] for r in gen}) == 2 and sorted({r["seed"] for r in gen}) == [
        100,
        101,
        102,
    ]

    more = run_consistency(items, seeded, n=5)  # raising n calls only the new samples
    assert (more.n_cached, more.n_called) == (6, 4)
    five = [r for r in read_landed(wh, CONSISTENCY_SCORES).to_pylist() if r["n_samples"] == 5]
    assert len(five) == 2 and five[0]["agreement_score"] == pytest.approx(0.8)
    assert {r["group_hash"] for r in five} == {r["group_hash"] for r in rows}


def test_incomplete_group_is_not_scored_until_its_failed_sample_succeeds(
    cfg, server, wh, tiny_items
) -> None:
    item = ConsistencyItem(
        "q", "Where is the block? Give its bounding box.", (tiny_items[0].ref,), "box"
    )
    second = consistency_requests(item, cfg, 3)[1].request_hash
    server.inject(["400"], when=lambda c: c.request_hash == second)
    first = run_consistency([item], cfg, n=3)
    assert first.status_counts == {"ok": 2, "http_error": 1} and not first.derived_counts
    again = run_consistency([item], cfg, n=3)
    assert again.n_called == 1 and again.derived_counts == {"consistency_scores": 1}
    row = read_landed(wh, CONSISTENCY_SCORES).to_pylist()[0]
    assert row["answer_kind"] == "box" and row["agreement_score"] == 1.0
