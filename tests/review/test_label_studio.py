"""Reading a Label Studio JSON export into verdict records (the landing validates them
like any verdict file; the browser test imports one into a real lakehouse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.label_studio import LabelStudioFileError, label_config, verdict_records


def _choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "image", "type": "choices", "value": {"choices": [value]}}


def test_annotations_become_verdicts_in_time_order(tmp_path: Path):
    tasks = [{"id": 1, "data": {"sample_id": "s_a"}, "annotations": [
        {"completed_by": 5, "created_at": "2025-03-01T12:00:00Z", "result": [_choice("verdict", "reject")]},
        {"completed_by": {"id": 2, "email": "a@x.org"}, "created_at": "2025-03-01T10:00:00Z",
         "updated_at": "2025-03-01T10:30:00Z", "result": [_choice("verdict", "approve")]},
        {"completed_by": 9, "was_cancelled": True, "created_at": "2025-03-01T11:00:00Z", "result": []},
        {"completed_by": 8, "created_at": "2025-03-01T13:00:00Z",
         "result": [_choice("verdict", "needs_fix"), _choice("error_type", "format_error"),
                    {"from_name": "note", "type": "textarea", "value": {"text": ["<b>fix</b>", "the turn"]}}]},
    ]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    records = [r for _, r in verdict_records(path)]
    assert [(r["reviewer"], r["role"], r["verdict"], r["time"]) for r in records] == [
        ("a@x.org", "first_review", "approve", "2025-03-01T10:30:00Z"),
        ("ls-user-5", "second_review", "reject", "2025-03-01T12:00:00Z"),
        ("ls-user-8", "arbitration", "needs_fix", "2025-03-01T13:00:00Z"),
    ]
    assert records[2]["error_type"] == "format_error" and records[2]["note"] == "<b>fix</b>\nthe turn"


@pytest.mark.parametrize("text", ["not json", '{"tasks": []}', '[{"data": {}}]'])
def test_a_file_that_is_no_label_studio_export_is_refused(tmp_path: Path, text: str):
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LabelStudioFileError, match="not a Label Studio JSON export"):
        verdict_records(path)


def test_the_labeling_config_names_every_verdict_and_error_type():
    config = label_config()
    for value in ("approve", "reject", "needs_fix", "grounding_offset", "unclassified"):
        assert f'<Choice value="{value}"/>' in config


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-8-sig", "UTF-8 with a byte-order mark"),
    ("utf-16", "UTF-16 (little-endian, with a byte-order mark)"),
])
def test_an_export_in_another_encoding_is_refused_naming_it(tmp_path: Path, encoding: str, named: str):
    """The one JSON encoding rule (ingest.json_guard) holds for Label Studio exports too."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"data": {"sample_id": "s"}, "annotations": []}]), encoding=encoding)
    with pytest.raises(LabelStudioFileError, match="invalid_encoding") as refused:
        verdict_records(path)
    assert named in str(refused.value)


def test_a_nesting_bomb_export_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(LabelStudioFileError, match="json_too_deep"):
        verdict_records(path)
