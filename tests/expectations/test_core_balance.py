"""asset_type_coverage judges balance over the balanced core (manifest assets that are
pool members) and reports the photos beyond it: a corpus of many more photos than
documents passes honestly, an unbalanced core still fails."""

from __future__ import annotations

import hashlib

from expectations.runner import run_checks
from tests.expectations import corrupt

CHECK = "asset_type_coverage"


def test_photos_beyond_the_core_are_reported_not_counted(fresh_copy) -> None:
    def add_photos(records):
        photo = next(r for r in records if r["asset_type"] == "general_image")
        extra = [{**photo, "asset_id": hashlib.sha256(f"extra {i}".encode()).hexdigest(),
                  "image": f"coco128/extra/{i}.jpg"} for i in range(1000)]
        return records + extra

    corrupt.edit_jsonl(fresh_copy, "asset_manifest.jsonl", add_photos)
    result = run_checks(fresh_copy, only=[CHECK]).by_name()[CHECK]
    assert result.success, result.observed
    assert "beyond the core: 1,000 general_image" in result.observed


def test_an_unbalanced_core_fails(fresh_copy) -> None:
    def drop_documents(records):
        kept, docs = [], 0
        for r in records:
            if r["asset_type"] == "document_image":
                docs += 1
                if docs > 10:
                    continue
            kept.append(r)
        return kept

    corrupt.edit_jsonl(fresh_copy, "asset_manifest.jsonl", drop_documents)
    result = run_checks(fresh_copy, only=[CHECK]).by_name()[CHECK]
    assert not result.success
    assert any("share" in str(p) for p in result.problems()), result.problems()
