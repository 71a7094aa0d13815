"""The packed multi-turn set on the real build: what it holds, and the contract parts that
guard it (check 5 for the conversations, check 11 for the manifest's counts) each shown to
catch a broken copy."""

from __future__ import annotations

import json

from expectations.runner import run_checks
from tests.expectations.corrupt import edit_jsonl, load_manifest, read_jsonl, reseal, save_manifest

PACKED = "packed/train.jsonl"


def test_packed_set_packs_each_single_image_sample_once(reported_warehouse) -> None:
    exports = reported_warehouse.exports
    manifest = load_manifest(reported_warehouse)
    records = read_jsonl(exports / "packed" / "train.jsonl") + read_jsonl(exports / "packed" / "val.jsonl")
    ids = [sid for r in records for sid in r["sample_ids"]]
    assert len(ids) == len(set(ids)) == manifest["packed_sample_count"]
    assert len(records) == manifest["packed_record_count"] < manifest["packed_sample_count"]
    single = [r for r in read_jsonl(exports / "final_llava_dataset.jsonl") if len(r["image"]) == 1]
    assert set(ids) == {r["id"] for r in single}
    for r in records:
        assert 1 <= len(r["sample_ids"]) <= manifest["packed_max_turns"]
        assert len(r["conversations"]) == 2 * len(r["sample_ids"])
        assert "".join(t["value"] for t in r["conversations"]).count("<image>") == 1
    assert max(len(r["sample_ids"]) for r in records) > 1


def _add_image_token_to_a_later_turn(records):
    victim = next(r for r in records if len(r["conversations"]) > 2)
    victim["conversations"][2]["value"] = "<image>\n" + victim["conversations"][2]["value"]
    return records


def _swap_answers_between_records(records):
    a, b = records[0], records[1]
    a["conversations"][-1], b["conversations"][-1] = b["conversations"][-1], a["conversations"][-1]
    return records


def test_packed_conversation_damage_fails_conversation_format(fresh_copy) -> None:
    assert run_checks(fresh_copy, only=["conversation_format"]).by_name()["conversation_format"].success
    edit_jsonl(fresh_copy, PACKED, _add_image_token_to_a_later_turn)
    reseal(fresh_copy)
    check = run_checks(fresh_copy, only=["conversation_format"]).by_name()["conversation_format"]
    assert not check.success
    assert any("packed" in key for key, _ in check.problems())


def test_untraceable_packed_turn_fails_conversation_format(fresh_copy) -> None:
    edit_jsonl(fresh_copy, PACKED, _swap_answers_between_records)
    reseal(fresh_copy)
    check = run_checks(fresh_copy, only=["conversation_format"]).by_name()["conversation_format"]
    assert not check.success
    assert any("audited sample" in key for key, _ in check.problems())


def _write_a_numeric_answer_as_a_number(records):
    """A counting answer "2" written as the JSON number 2: the same text once printed,
    but not the string the sample holds."""
    victim = next(r for r in records if r["conversations"][1]["value"].isdigit())
    victim["conversations"][1]["value"] = int(victim["conversations"][1]["value"])
    return records


def test_a_packed_turn_that_is_not_text_is_untraceable(fresh_copy) -> None:
    edit_jsonl(fresh_copy, PACKED, _write_a_numeric_answer_as_a_number)
    reseal(fresh_copy)
    check = run_checks(fresh_copy, only=["conversation_format"]).by_name()["conversation_format"]
    assert not check.success
    assert any("audited sample" in key for key, _ in check.problems())


def test_wrong_packed_count_in_the_manifest_fails_check_11(fresh_copy) -> None:
    manifest = load_manifest(fresh_copy)
    manifest["packed_sample_count"] += 1
    save_manifest(fresh_copy, manifest)
    check = run_checks(fresh_copy, only=["manifest_matches_artifacts"]).by_name()["manifest_matches_artifacts"]
    assert not check.success
    assert json.dumps(sorted(check.problems())).count("packed") >= 1
