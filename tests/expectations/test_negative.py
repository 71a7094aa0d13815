"""Each check shown to catch the damage it guards against: a copy of the real build is
corrupted in exactly that way (and its bookkeeping resealed, so the build is wrong but
self-consistent), then all the checks run. The corrupted check must report new
problems (so it fails, whatever it reported before), and every other check must report
exactly what it reported on the clean copy. `--only` (run_checks(only=...)) must give
the same answer for that check as the full run."""

from __future__ import annotations

import pytest

from expectations.runner import run_checks
from expectations.suites import CHECK_NAMES
from tests.expectations import corrupt

CASES = [
    ("artifacts_present", corrupt.empty_interleaved_set),
    ("asset_type_coverage", corrupt.unknown_asset_type),
    ("task_type_coverage", corrupt.skewed_task_mix),
    ("record_schema", corrupt.duplicate_id),
    ("conversation_format", corrupt.dropped_image_token),
    ("image_integrity", corrupt.missing_image_file),
    ("alignment_has_bbox", corrupt.box_at_1001),
    ("multi_image_has_multiple_images", corrupt.same_image_twice),
    ("split_no_overlap", corrupt.id_in_train_and_val),
    ("smoke_covers_task_types", corrupt.task_type_removed_from_smoke),
    ("manifest_matches_artifacts", corrupt.wrong_manifest_count),
    ("manifest_matches_artifacts", corrupt.wrong_manifest_hash),
    ("profile_boxes_match_source", corrupt.boxes_swapped_in_profile),
]


# the damaged records, as the checks whose frames name rows by number (Frame.id_labels) show them
NAMED_BY_RECORD_KEY = {
    corrupt.duplicate_id: lambda victim: {f"{corrupt.FINAL}:{victim}"},
    corrupt.dropped_image_token: lambda victim: {f"train.jsonl:{victim}"},
    corrupt.boxes_swapped_in_profile: lambda victims: {f"qwen25vl/train.jsonl:{v}" for v in victims},
}


def test_every_check_has_a_negative_test() -> None:
    assert {name for name, _ in CASES} == set(CHECK_NAMES)


def test_resealing_a_clean_build_changes_nothing(reported_warehouse, clean_copy) -> None:
    original = corrupt.load_manifest(reported_warehouse)
    resealed = corrupt.load_manifest(clean_copy)
    for key in ("sample_count", "smoke_sample_count", "samples_by_split", "samples_by_task_type",
                "samples_by_asset_type", "samples_by_language", "files"):
        assert resealed[key] == original[key], key


@pytest.mark.parametrize(("check", "damage"), CASES, ids=[f"{c}-{d.__name__}" for c, d in CASES])
def test_corruption_fails_exactly_its_check(check, damage, baseline, fresh_copy) -> None:
    victim = damage(fresh_copy)
    result = run_checks(fresh_copy)
    before, after = baseline.by_name(), result.by_name()

    new_problems = after[check].problems() - before[check].problems()
    assert not after[check].success, f"{check} passed on a copy corrupted by {damage.__name__}"
    assert new_problems, f"{check} reported nothing new after {damage.__name__}"
    if damage in NAMED_BY_RECORD_KEY:  # rows named by number, offenders shown by record key
        assert NAMED_BY_RECORD_KEY[damage](victim) <= {item for _, item in new_problems}, new_problems

    for name in CHECK_NAMES:
        if name == check:
            continue
        assert after[name].success == before[name].success, (
            f"{damage.__name__} also changed {name}: {after[name].observed}")
        assert after[name].problems() == before[name].problems(), (
            f"{damage.__name__} also changed {name}'s problems: "
            f"{sorted(after[name].problems() ^ before[name].problems())[:5]}")

    only = run_checks(fresh_copy, only=[check]).by_name()
    assert list(only) == [check]
    assert only[check].problems() == after[check].problems()
