"""generation.stages.translate: EN -> ZH with numbers, boxes, <image> and names checked."""

from __future__ import annotations

from generation.items import SampleItem
from generation.stages.translate import (
    check_translation,
    extract_names,
    run_translate,
    translate_requests,
)
from generation.store import read_landed
from lakehouse.tables.generation import TRANSLATIONS

SOURCE = "<image>\nThe man near the Eiffel Tower holds an iPhone and 2 bags at [120, 45, 380, 990]."


def test_checks_pass_when_everything_is_kept() -> None:
    target = "<image>\n埃菲尔铁塔 Eiffel Tower 附近的男人拿着一部 iPhone 和 2 个包，位于 [120,45,380,990]。"
    c = check_translation(SOURCE, target)
    assert all(
        c[k]
        for k in (
            "has_numbers_preserved",
            "has_boxes_preserved",
            "has_placeholders_preserved",
            "has_names_preserved",
        )
    )


def test_each_check_flags_its_own_failure() -> None:
    c = check_translation(
        SOURCE, "埃菲尔铁塔附近的男人拿着一部 iPhone 和两个包，位于 [120, 45, 380, 999]。"
    )
    assert not c["has_numbers_preserved"] and c["missing_numbers"] == ["2"]
    assert not c["has_boxes_preserved"] and c["missing_boxes"] == ["[120,45,380,990]"]
    assert not c["has_placeholders_preserved"]
    assert not c["has_names_preserved"] and c["missing_names"] == ["Eiffel Tower"]
    assert check_translation("Meet Anna.", "见 Anna。", names=["Louvre"])["has_names_preserved"]


def test_name_candidates() -> None:
    text = (
        "Two dogs play in Central Park. Image 1 shows a Nike shoe and a GPT-4 poster. Paris is far."
    )
    assert extract_names(text) == ["Central Park", "Nike", "GPT-4"]


def test_stage_lands_one_row_per_sample_with_flags(cfg, server, wh) -> None:
    good = SampleItem("good", [("human", "<image>\nHow many bags?"), ("gpt", SOURCE)])
    bad = SampleItem(
        "bad",
        [("human", "<image>\nWhere is Anna?"), ("gpt", "Anna stands with 2 bags at [1, 2, 3, 4].")],
        names=("Anna",),
    )
    bad_turn = translate_requests(bad, cfg)[1].request_hash
    server.responder = lambda call: "安娜站在某处。" if call.request_hash == bad_turn else None
    report = run_translate([good, bad], cfg)
    assert report.n_called == 4 and report.derived_counts == {"translations": 2}
    rows = {r["sample_id"]: r for r in read_landed(wh, TRANSLATIONS).to_pylist()}
    assert rows["good"]["is_passed"] and rows["good"]["conversations"][0]["from"] == "human"
    assert rows["good"]["conversations"][1]["value"].endswith(
        SOURCE
    )  # the fake translator keeps everything
    b = rows["bad"]
    assert not b["is_passed"] and b["has_placeholders_preserved"]
    assert (b["has_numbers_preserved"], b["has_boxes_preserved"], b["has_names_preserved"]) == (
        False,
        False,
        False,
    )
    assert (
        b["missing_names"] == ["Anna"]
        and b["missing_boxes"] == ["[1,2,3,4]"]
        and b["missing_numbers"] == ["2"]
    )
    assert sum("in particular: Anna" in c.text for c in server.calls) == 2  # both turns of "bad"
    assert run_translate([good, bad], cfg).n_called == 0
