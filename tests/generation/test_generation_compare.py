"""generation.stages.compare: two images, in order, named Image 1 and Image 2."""

from __future__ import annotations

from dataclasses import replace

from generation.stages.compare import compare_request, object_counts, pair_images, run_compare
from generation.store import GENERATIONS, read_landed


def test_images_arrive_in_order_and_order_is_part_of_the_key(cfg, server, wh, coco_items) -> None:
    # the server answers with the images as it received them, so a landed answer can be
    # checked against the pair order the request recorded
    server.responder = lambda call: " ".join(
        f"Image {i}: {img['sha256'][:12]}." for i, img in enumerate(call.images, start=1))
    a, b = coco_items[2], coco_items[3]
    report = run_compare([(a, b), (b, a)], replace(cfg, image_max_side_px=4096))
    assert report.n_ok == 2 and report.n_requests == 2
    received = [[img["sha256"] for img in c.images] for c in server.calls]
    assert sorted(received) == sorted([[a.asset_id, b.asset_id], [b.asset_id, a.asset_id]])
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert {tuple(r["asset_ids"]) for r in rows} == {
        (a.asset_id, b.asset_id),
        (b.asset_id, a.asset_id),
    }
    for row in rows:
        first, second = row["asset_ids"]
        assert row["response_text"] == f"Image 1: {first[:12]}. Image 2: {second[:12]}."
    _, user = compare_request((a, b), cfg).rendered()
    assert f"Image 1: {object_counts(a)}" in user and '"Image 1" and "Image 2"' in user


def test_pairing_prefers_shared_categories(coco_items) -> None:
    pairs = pair_images(coco_items, limit=3)
    assert len(pairs) == 3
    used = [x.asset_id for p in pairs for x in p]
    assert len(used) == len(set(used))
    first, second = pairs[0]
    if first.annotations:
        shared = {a.category_name for a in first.annotations} & {
            a.category_name for a in second.annotations
        }
        assert shared or not any(
            {a.category_name for a in first.annotations} & {a.category_name for a in o.annotations}
            for o in coco_items[1:]
        )
