"""The project checks: the design documents' eleven in their order, then the profile box audit.

Each check is a function ``(CheckInputs, CheckConfig) -> list[Part]`` that builds the
frames to validate (native Great Expectations expectations on DataFrames read from the
lakehouse and the exported files) and the cross-table rules (violation queries expected
to return no row). See ``expectations/runner.py`` for how they run.
"""

from __future__ import annotations

from expectations.parts import Check
from expectations.suites.artifacts import artifacts_present, manifest_matches_artifacts
from expectations.suites.boxes import alignment_has_bbox
from expectations.suites.coverage import (
    asset_type_coverage,
    smoke_covers_task_types,
    task_type_coverage,
)
from expectations.suites.images import image_integrity, multi_image_has_multiple_images
from expectations.suites.profile_boxes import profile_boxes_match_source
from expectations.suites.records import conversation_format, record_schema
from expectations.suites.splits import split_no_overlap

CHECKS: tuple[Check, ...] = (
    Check(1, "artifacts_present", "every deliverable exists and is non-empty", artifacts_present),
    Check(2, "asset_type_coverage", "all asset types in the configured balance; interleaved pairs in the dataset",
          asset_type_coverage),
    Check(3, "task_type_coverage", "every task type present, none above the maximum share", task_type_coverage),
    Check(4, "record_schema", "unique ids, required fields, enumerations; only audited, reviewed samples ship",
          record_schema),
    Check(5, "conversation_format", "human first, alternating, non-empty; <image> only in the first human turn, "
          "one per image", conversation_format),
    Check(6, "image_integrity", "every referenced image is a registered asset, present, with its sha256",
          image_integrity),
    Check(7, "alignment_has_bbox", "grounding boxes: 4 integers in 0..1000, ordered, in the answer, "
          "traceable to the source box", alignment_has_bbox),
    Check(8, "multi_image_has_multiple_images", "comparison records: 2+ distinct images, in order, "
          "matching placeholders", multi_image_has_multiple_images),
    Check(9, "split_no_overlap", "train and val share no sample id and no source asset", split_no_overlap),
    Check(10, "smoke_covers_task_types", "the smoke set holds every task type and asset type",
          smoke_covers_task_types),
    Check(11, "manifest_matches_artifacts", "manifest and metrics counts equal the exported files'; hashes match",
          manifest_matches_artifacts),
    Check(12, "profile_boxes_match_source", "every profile's boxes, parsed back with its own convention, "
          "are its conversion of the source box (IoU >= the minimum); left-out samples recorded",
          profile_boxes_match_source),
)

CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
CHECK_COUNT: int = len(CHECKS)
"""How many project checks there are: the one number the CLI, the reports and the tests use."""
