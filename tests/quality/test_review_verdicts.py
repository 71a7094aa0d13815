"""Importing review verdicts: validation, unknown sample ids, idempotence, the CLI.

A tiny lakehouse with an ``int_samples_templated`` table stands in for a build."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lakehouse.landing import landed_files
from mmfactory.review_cli import review_app
from quality.review_verdicts import (
    REVIEW_VERDICTS_SCHEMA,
    REVIEW_VERDICTS_TABLE,
    ReviewFileError,
    file_key,
    import_verdicts,
    parse_time,
)

SAMPLES = ["s_aaa", "s_bbb", "s_ccc"]
HEADER = "sample_id,reviewer,role,verdict,error_type,note,time\n"


@pytest.fixture()
def lakehouse(wh):
    wh.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create table int_samples_templated as select unnest(?::varchar[]) as sample_id", [SAMPLES])
    return wh


def _landed(wh) -> list[dict]:
    rows = []
    for path in landed_files(wh, REVIEW_VERDICTS_TABLE):
        table = pq.read_table(path)
        assert table.schema.equals(REVIEW_VERDICTS_SCHEMA, check_metadata=False)
        rows += table.to_pylist()
    return rows


def _csv(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_csv_lands_in_utc(lakehouse, tmp_path):
    path = _csv(tmp_path, "Round 1.csv", [
        "s_aaa,ann,first_review,approve,,looks right,2025-03-01T10:00:00+08:00",
        "s_bbb,ann,first_review,reject,grounding_offset,box on the next dog,2025-03-01T02:05:00Z",
    ])
    report = import_verdicts(lakehouse, path)
    assert report.rejects == [] and report.unbalanced_tables() == []
    rows = _landed(lakehouse)
    assert [r["sample_id"] for r in rows] == ["s_aaa", "s_bbb"]
    assert rows[0]["reviewed_at"] == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    assert rows[1]["error_type"] == "grounding_offset" and rows[0]["error_type"] is None
    assert {r["source"] for r in rows} == {"round-1"}


def test_unknown_sample_ids_are_rejected_by_name(lakehouse, tmp_path):
    path = _csv(tmp_path, "v.csv", [
        "s_aaa,ann,first_review,approve,,,2025-03-01T10:00:00Z",
        "s_nope,ann,first_review,reject,,,2025-03-01T10:00:00Z",
    ])
    report = import_verdicts(lakehouse, path)
    assert [r.reason for r in report.rejects] == ["unknown_sample"]
    assert "s_nope" in report.rejects[0].message
    assert [r["sample_id"] for r in _landed(lakehouse)] == ["s_aaa"]
    # the rejects table holds it under source 'review'
    (rejects_file,) = [p for p in landed_files(lakehouse, "rejects") if p.stem.startswith("review-")]
    assert pq.read_table(rejects_file).column("source").to_pylist() == ["review"]


@pytest.mark.parametrize(("line", "reason"), [
    ("s_aaa,ann,reviewer,approve,,,2025-03-01T10:00:00Z", "invalid_role"),
    ("s_aaa,ann,first_review,maybe,,,2025-03-01T10:00:00Z", "invalid_verdict"),
    ("s_aaa,ann,first_review,reject,blurry,,2025-03-01T10:00:00Z", "invalid_error_type"),
    ("s_aaa,ann,first_review,reject,,,yesterday", "invalid_time"),
    ("s_aaa,ann,first_review,reject,,,2025-03-01T10:00:00", "invalid_time"),
    ("s_aaa,,first_review,reject,,,2025-03-01T10:00:00Z", "missing_value"),
])
def test_invalid_rows_are_rejected(lakehouse, tmp_path, line, reason):
    report = import_verdicts(lakehouse, _csv(tmp_path, "v.csv", [line]))
    assert [r.reason for r in report.rejects] == [reason]
    assert _landed(lakehouse) == []


def test_naive_times_with_a_default_timezone(lakehouse, tmp_path):
    path = _csv(tmp_path, "v.csv", ["s_aaa,ann,first_review,approve,,,2025-03-01 10:00:00"])
    import_verdicts(lakehouse, path, default_timezone="Asia/Shanghai")
    assert _landed(lakehouse)[0]["reviewed_at"] == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    assert parse_time("2025-03-01T10:00:00Z") == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_a_second_review_must_be_someone_elses(lakehouse, tmp_path):
    import_verdicts(lakehouse, _csv(tmp_path, "first.csv", ["s_aaa,ann,first_review,approve,,,2025-03-01T10:00:00Z"]))
    report = import_verdicts(lakehouse, _csv(tmp_path, "second.csv", [
        "s_aaa,ann,second_review,reject,,,2025-03-02T10:00:00Z",
        "s_aaa,bob,second_review,reject,,,2025-03-02T10:00:00Z",
    ]))
    assert [r.reason for r in report.rejects] == ["same_reviewer"]
    assert sorted((r["reviewer"], r["role"]) for r in _landed(lakehouse)) == [
        ("ann", "first_review"), ("bob", "second_review")]


def test_importing_the_same_file_twice_does_not_duplicate(lakehouse, tmp_path):
    path = _csv(tmp_path, "v.csv", ["s_aaa,ann,first_review,approve,,,2025-03-01T10:00:00Z"])
    import_verdicts(lakehouse, path)
    import_verdicts(lakehouse, path)
    assert len(_landed(lakehouse)) == 1


def test_jsonl_with_a_malformed_line(lakehouse, tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text("\n".join([
        json.dumps({"sample_id": "s_ccc", "reviewer": "cy", "role": "arbitration", "verdict": "reject",
                    "error_type": "count_mismatch", "note": "3 dogs, not 2", "reviewed_at": "2025-03-03T09:00:00+00:00"}),
        "[1, 2]",
    ]) + "\n", encoding="utf-8")
    report = import_verdicts(lakehouse, path)
    assert [r.reason for r in report.rejects] == ["malformed_record"]
    assert _landed(lakehouse)[0]["role"] == "arbitration"


def test_files_that_cannot_be_imported(lakehouse, tmp_path):
    bad = tmp_path / "v.csv"
    bad.write_text("sample_id,verdict\ns_aaa,approve\n", encoding="utf-8")
    with pytest.raises(ReviewFileError, match="reviewer, role"):
        import_verdicts(lakehouse, bad)
    with pytest.raises(ReviewFileError, match="unknown verdict file type"):
        import_verdicts(lakehouse, tmp_path / "v.xlsx")


def test_no_lakehouse(wh, tmp_path):
    with pytest.raises(ReviewFileError, match="mmfactory build"):
        import_verdicts(wh, _csv(tmp_path, "v.csv", ["s_aaa,ann,first_review,approve,,,2025-03-01T10:00:00Z"]))


def test_file_key():
    assert file_key(Path("/x/Review Round #2.CSV")) == "review-round-2"
    assert file_key(Path("/x/###.csv")).startswith("file-")


def test_cli_exit_codes(lakehouse, tmp_path):
    runner = CliRunner()
    ok = _csv(tmp_path, "ok.csv", ["s_aaa,ann,first_review,approve,,,2025-03-01T10:00:00Z"])
    assert runner.invoke(review_app, ["import", str(ok)]).exit_code == 0
    partly = _csv(tmp_path, "partly.csv", ["s_bbb,ann,first_review,approve,,,2025-03-01T10:00:00Z",
                                           "s_zzz,ann,first_review,approve,,,2025-03-01T10:00:00Z"])
    result = runner.invoke(review_app, ["import", str(partly)])
    assert result.exit_code == 1 and "s_zzz" in result.output
    assert runner.invoke(review_app, ["import", str(tmp_path / "missing.csv")]).exit_code == 2


def test_record_verdict_lands_one_file_per_verdict_and_refuses_a_broken_rule(lakehouse):
    from quality.review_verdicts import VerdictRefused, record_verdict

    first = record_verdict(lakehouse, "s_aaa", "ann", "first_review", "needs_fix", "format_error", "<b>x</b>")
    second = record_verdict(lakehouse, "s_aaa", "bob", "second_review", "approve", None, None)
    assert first != second and first.stem.startswith("web-") and second.stem.startswith("web-")
    rows = sorted(_landed(lakehouse), key=lambda r: r["role"])
    assert [(r["reviewer"], r["role"], r["verdict"], r["error_type"], r["note"], r["import_file"])
            for r in rows] == [("ann", "first_review", "needs_fix", "format_error", "<b>x</b>", "review-page"),
                               ("bob", "second_review", "approve", None, None, "review-page")]
    for sample_id, reviewer, role, verdict, error_type, reason in (
            ("s_aaa", "ann", "arbitration", "approve", None, "already gave the first_review"),
            ("s_zzz", "cy", "first_review", "approve", None, "unknown sample id"),
            ("s_bbb", "cy", "first_review", "maybe", None, "is not one of"),
            ("s_bbb", "cy", "first_review", "reject", "typo", "error type 'typo'")):
        with pytest.raises(VerdictRefused, match=reason):
            record_verdict(lakehouse, sample_id, reviewer, role, verdict, error_type, None)
    assert len(_landed(lakehouse)) == 2
