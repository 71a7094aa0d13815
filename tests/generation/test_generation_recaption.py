"""generation.stages.recaption: annotations as symbolic context, one row per image."""

from __future__ import annotations

from generation.items import Annotation
from generation.stages.recaption import (
    describe_objects,
    normalize_box,
    recaption_request,
    run_recaption,
)
from generation.store import GENERATIONS, read_landed


def test_boxes_are_normalized_to_0_1000_half_up_and_clipped() -> None:
    assert normalize_box((61.87, 276.25, 296.42, 103.18), 640, 480) == [97, 576, 560, 790]
    assert normalize_box((0.5, 0, 640, 480), 1000, 1000) == [1, 0, 641, 480]  # 0.5 -> 1 (half up)
    assert normalize_box((-5, 10, 2000, 10), 1000, 1000) == [0, 10, 1000, 20]


def test_objects_largest_first_crowd_marked_and_capped() -> None:
    anns = [
        Annotation("cup", (0, 0, 10, 10)),
        Annotation("person", (0, 0, 500, 400), True),
        Annotation("dog", (0, 0, 100, 100)),
    ] + [Annotation("car", (0, 0, 1, 1))] * 3
    text = describe_objects(anns, 1000, 1000, max_objects=3)
    lines = text.splitlines()
    assert lines[0] == "- person (a crowd region): [0, 0, 500, 400]"
    assert lines[1].startswith("- dog") and lines[2].startswith("- cup")
    assert lines[3] == "- ... and 3 smaller objects (3 car)"
    assert describe_objects([], 10, 10) == "(none)"


def test_prompt_and_landed_rows_on_real_coco(cfg, server, wh, coco_items) -> None:
    item = next(i for i in coco_items if len(i.annotations) >= 3)
    req = recaption_request(item, cfg)
    _, user = req.rendered()
    assert "Do not mention anything that is not visible" in user
    for a in item.annotations[:3]:
        assert f"- {a.category_name}" in user
    report = run_recaption(coco_items[:4], cfg)
    assert report.n_ok == 4
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert {r["item_id"] for r in rows} == {i.asset_id for i in coco_items[:4]}
    assert all(
        r["stage"] == "recaption" and r["template_id"] == "recaption.detailed.v1" for r in rows
    )
    assert all(r["images"][0]["asset_id"] == r["asset_ids"][0] for r in rows)
    sent = [c.images[0]["sha256"] for c in server.calls]
    assert sorted(sent) == sorted(
        i.asset_id for i in coco_items[:4]
    )  # the real bytes, not re-encoded
