"""The quality layer on the real data, with planted errors.

A scratch copy of the session's real build of ../shared (`mmfactory build`: COCO128, the
real documents and charts, the derived pool, OCR, the visual audit), then:

1. every candidate sample has an audit row and, on the untouched data, every audit
   passes except the ChartQA charts whose own tables are implausible (flagged
   ``chart_misread`` with ``chart_table:`` evidence), CHAIR finds no hallucination, the
   review sample holds every task type and the grounding samples' back-rendered PNGs
   (drawn by the build's visual audit), whose red box lies on the source box within 1 px;
2. errors are planted in ``int_samples_templated`` (answer text AND conversation): a
   wrong count (English and Chinese), a box shifted 150 grid units, a comparison over its
   images swapped, an object added to a description (English and Chinese), a leftover
   placeholder, a number-noun disagreement (grammar_agreement), an English word in a
   Chinese answer (language_mixing), a spatial relation turned around in a
   description and a chart value changed; only the quality models are rebuilt, and each
   planted sample is flagged with exactly its error type while no other sample's audit
   changes;
3. reviewers' verdicts are imported: an agreed reject and a disagreement take their
   samples out (is_shippable false), and the failure library grows by the new failures.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from lakehouse.settings import Warehouse
from quality.failure_library import record_failures
from quality.review_verdicts import import_verdicts
from tests.quality.test_visual_audit import red_box_edges
from tests.warehouses import run_mmfactory, scratch_copy

QUALITY_MODELS = ["path:models/staging/quality", "path:models/intermediate/quality", "path:models/marts/quality"]


def _mmfactory(wh: Warehouse, tmp: Path, *args: str) -> None:
    proc = run_mmfactory(wh, *args)
    assert proc.returncode == 0, f"mmfactory {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"


def _dbt_build(wh: Warehouse, tmp: Path, *selectors: str) -> None:
    # a target and log folder of our own: other builds may run in the project at the same
    # time; only the data tests of selected models (the others' parents may not be built;
    # the SQL unit tests run in tests/lakehouse/test_dbt_unit_tests.py)
    _mmfactory(wh, tmp, "dbt", "build", "--indirect-selection", "cautious",
               "--exclude-resource-type", "unit_test", "--select", *selectors,
               "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"))


def _sql(wh: Warehouse, query: str, params=None) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


@pytest.fixture(scope="module")
def quality_build(built_warehouse, tmp_path_factory) -> tuple[Warehouse, Path]:
    """A scratch copy of the session build: the quality models are rebuilt in it and
    nowhere else (its other views still read the session build's landing, which no
    test changes)."""
    tmp = tmp_path_factory.mktemp("quality")
    return scratch_copy(built_warehouse, tmp / "warehouse"), tmp


def test_every_real_sample_is_audited_and_passes(quality_build):
    wh, _ = quality_build
    (candidates,) = _sql(wh, "select count(*) from int_samples_templated")[0]
    rows = _sql(wh, "select count(*), count(distinct sample_id), count(*) filter (where is_audit_passed) "
                    "from quality_audit")[0]
    # the untouched build's flags: only charts whose landed table the audit finds
    # implausible (ChartQA's own quirks, zeros and outliers), asserted below
    flagged = dict(_sql(wh, "select sample_id, evidence from low_quality_flags"))
    assert candidates > 1000
    assert rows == (candidates, candidates, candidates - len(flagged))
    assert set(_sql(wh, "select error_type from low_quality_flags")) <= {("chart_misread",)}
    assert all(evidence.startswith("chart_table: ") for evidence in flagged.values()), flagged
    chart_tasks = _sql(wh, "select distinct task_type from int_samples_templated where sample_id in "
                           "(select unnest(?::varchar[]))", [list(flagged)])
    assert chart_tasks in ([], [("chart_reading",)])
    chair = _sql(wh, "select answer_count, mention_count, chair_i, chair_s from chair_scores where scope = 'all'")
    assert chair[0][0] > 100 and chair[0][1] > chair[0][0] and chair[0][2:] == (0.0, 0.0)
    summary = _sql(wh, "select audit_pass_rate, visual_audit_sample_count, chair_i from quality_summary")
    assert summary[0][0] == pytest.approx(1 - len(flagged) / candidates)
    assert summary[0][1] >= 20 and summary[0][2] == 0.0


def test_review_sample_is_stratified_and_back_rendered(quality_build):
    wh, _ = quality_build
    strata = dict(_sql(wh, "select task_type, count(*) from manual_review_samples group by 1"))
    task_types = {t for (t,) in _sql(wh, "select distinct task_type from int_samples_templated")}
    assert len(task_types) == 7 and set(strata) == task_types  # every task type is reviewed
    near = _sql(wh, "select count(*) from manual_review_samples where selection_reason = 'nearest_threshold'")
    assert near[0][0] >= 1
    index = _sql(wh, "select sample_id, png_path, source_box_px, render_error from qa_visual_audit order by sample_id")
    assert len(index) == strata["region_grounding"]
    for sample_id, png_path, _, error in index:
        assert error is None and (wh.root / png_path).is_file(), sample_id
    drawn = _sql(wh, "select sample_id, png_path, render_error from read_parquet(?) order by 1",
                 [str(wh.derived / "visual_audit" / "index.parquet")])
    assert drawn == [(s, p, None) for s, p, _, _ in index]
    # the drawn red box is the source COCO box, within 1 px
    sample_id, png_path, source, _ = index[0]
    (height,) = _sql(wh, "select a.height_px from qa_visual_audit q join stg_landing__assets a using (asset_id) "
                         "where q.sample_id = ?", [sample_id])[0]
    x1, y1, x2, y2 = red_box_edges(wh.root / png_path, height)
    assert abs(x1 - source["x1"]) <= 1 and abs(y1 - source["y1"]) <= 1
    assert abs(x2 - source["x2"]) <= 1 and abs(y2 - source["y2"]) <= 1


def _pick(con, query: str) -> str:
    row = con.execute(query).fetchone()
    assert row is not None, query
    return row[0]


def _plant(wh: Warehouse) -> dict[str, str]:
    """Corrupt chosen samples in place; return sample_id -> the error type expected."""
    planted: dict[str, str] = {}
    with duckdb.connect(str(wh.database)) as con:
        counting_en = _pick(con, "select sample_id from int_samples_templated where task_type = 'counting_visual_qa' "
                                 "and language = 'en' and template_id = 'count_en_1' and expected_count >= 2 "
                                 "order by sample_id limit 1")  # plural either way: no grammar error
        counting_zh = _pick(con, "select sample_id from int_samples_templated where task_type = 'counting_visual_qa' "
                                 "and language = 'zh' order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = regexp_replace(answer_text, '\\d+', "
                    "cast(expected_count + 1 as varchar)) where sample_id in (?, ?)", [counting_en, counting_zh])
        planted |= {counting_en: "count_mismatch", counting_zh: "count_mismatch"}

        grounding = _pick(con, "select sample_id from int_samples_templated where task_type = 'region_grounding' "
                               "and grid_xmax <= 800 and grid_xmax - grid_xmin >= 100 order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = replace(answer_text, "
                    "'[' || grid_ymin || ', ' || grid_xmin || ', ' || grid_ymax || ', ' || grid_xmax || ']', "
                    "'[' || grid_ymin || ', ' || (grid_xmin + 150) || ', ' || grid_ymax || ', ' || (grid_xmax + 150) || ']') "
                    "where sample_id = ?", [grounding])
        planted[grounding] = "grounding_offset"

        swapped = _pick(con, "select sample_id from int_samples_templated where task_type = 'multi_image_comparison' "
                             "and (contains(answer_text, 'Only Image 1') or contains(answer_text, '只有图1')) "
                             "order by sample_id limit 1")
        con.execute("update int_samples_templated set source_asset_ids = list_reverse(source_asset_ids), "
                    "image_paths = list_reverse(image_paths) where sample_id = ?", [swapped])
        planted[swapped] = "multi_image_confusion"

        no_giraffe = ("task_type = 'image_description' and not exists (select 1 from int_image_objects_counted o "
                      "where o.asset_id = source_asset_ids[1] and o.category_name = 'giraffe')")
        description_en = _pick(con, f"select sample_id from int_samples_templated where {no_giraffe} "
                                    "and language = 'en' and contains(answer_text, 'The image shows ') "
                                    "order by sample_id limit 1")
        description_zh = _pick(con, f"select sample_id from int_samples_templated where {no_giraffe} "
                                    "and language = 'zh' and contains(answer_text, '图中有') "
                                    "order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = replace(answer_text, 'The image shows ', "
                    "'The image shows 1 giraffe, ') where sample_id = ?", [description_en])
        con.execute("update int_samples_templated set answer_text = replace(answer_text, '图中有', '图中有1只长颈鹿、') "
                    "where sample_id = ?", [description_zh])
        planted |= {description_en: "visual_hallucination", description_zh: "visual_hallucination"}

        # a spatial relation turned around: "the dog is to the left of the cat" -> "right of"
        relation = _pick(con, "select sample_id from int_samples_templated where task_type = 'image_description' "
                              f"and language = 'en' and sample_id not in ('{description_en}') "
                              "and contains(answer_text, ' is to the left of ') order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = replace(answer_text, ' is to the left of ', "
                    "' is to the right of ') where sample_id = ?", [relation])
        planted[relation] = "spatial_relation_error"

        chart = _pick(con, "select sample_id from int_samples_templated where task_type = 'chart_reading' "
                           "and question_kind = 'lookup' and language = 'en' "
                           "and not regexp_matches(answer_text, '^1 ')"  # 999 keeps the noun's number
                           " order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = regexp_replace(answer_text, '^[0-9.]+', '999') "
                    "where sample_id = ?", [chart])
        planted[chart] = "chart_misread"

        placeholder = _pick(con, "select sample_id from int_samples_templated where task_type = 'counting_visual_qa' "
                                 f"and sample_id not in ('{counting_en}', '{counting_zh}') order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = '{count}' where sample_id = ?", [placeholder])
        planted[placeholder] = "format_error"

        passed = "and sample_id in (select sample_id from quality_audit where is_audit_passed)"
        # grammar_agreement: the right count with a noun that disagrees ("3 object")
        agreement = _pick(con, "select sample_id from int_samples_templated where task_type = 'counting_visual_qa' "
                               "and language = 'en' and expected_count >= 2 "
                               f"and sample_id not in ('{counting_en}', '{placeholder}') {passed} "
                               "order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = expected_count || ' object' "
                    "where sample_id = ?", [agreement])
        planted[agreement] = "grammar_agreement"

        # language_mixing: an English word left in a Chinese answer, not quoting anything visible
        mixing = _pick(con, "select sample_id from int_samples_templated where task_type = 'counting_visual_qa' "
                            f"and language = 'zh' and sample_id not in ('{counting_zh}', '{placeholder}') "
                            f"{passed} order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = answer_text || '（approximately）' "
                    "where sample_id = ?", [mixing])
        planted[mixing] = "language_mixing"

        # the conversation carries the same (wrong) answer, as a real generation bug would
        con.execute("update int_samples_templated set conversations = list_transform(conversations, "
                    "lambda t: case when t['from'] = 'gpt' then {'from': t['from'], 'value': answer_text} else t end) "
                    "where sample_id in (select unnest(?::varchar[]))", [list(planted)])
    return planted


@pytest.fixture(scope="module")
def planted_build(quality_build):
    wh, tmp = quality_build
    before = dict(_sql(wh, "select sample_id, (is_audit_passed, audit_reasons, quality_signals)::varchar "
                           "from quality_audit"))
    planted = _plant(wh)
    _dbt_build(wh, tmp, *QUALITY_MODELS)
    return wh, tmp, planted, before


def test_planted_errors_are_caught_with_their_error_type(planted_build):
    wh, _, planted, before = planted_build
    # samples that failed before planting (none once every task's text passes the language
    # audits) keep their verdicts; the planted ones are flagged with exactly their type
    failed_before = {s for s, v in before.items() if v.startswith("(false")}
    flagged = {}
    for sample_id, error_type in _sql(wh, "select sample_id, error_type from low_quality_flags"):
        if sample_id not in failed_before:
            flagged.setdefault(sample_id, set()).add(error_type)
    assert flagged == {sample_id: {error_type} for sample_id, error_type in planted.items()}
    failed = _sql(wh, "select sample_id from quality_audit where not is_audit_passed or is_shippable is not true")
    assert {r[0] for r in failed} - failed_before == set(planted)
    # nothing else changed
    after = dict(_sql(wh, "select sample_id, (is_audit_passed, audit_reasons, quality_signals)::varchar "
                          "from quality_audit"))
    assert {s: v for s, v in after.items() if s not in planted} == {s: v for s, v in before.items() if s not in planted}
    # the evidence says what is wrong
    evidence = dict(_sql(wh, "select sample_id, evidence from low_quality_flags"))
    swapped = next(s for s, e in planted.items() if e == "multi_image_confusion")
    assert "reverse order" in evidence[swapped]
    giraffes = [s for s, e in planted.items() if e == "visual_hallucination"]
    assert all("giraffe" in evidence[s] for s in giraffes)


def test_chair_counts_the_planted_hallucinations(planted_build):
    wh, *_ = planted_build
    (answers, hallucinated_answers, mentions, hallucinated_mentions, chair_i, chair_s), = _sql(
        wh, "select answer_count, hallucinated_answer_count, mention_count, hallucinated_mention_count, "
            "chair_i, chair_s from chair_scores where scope = 'all'")
    assert (hallucinated_answers, hallucinated_mentions) == (2, 2)
    assert chair_i == pytest.approx(2 / mentions) and chair_s == pytest.approx(2 / answers)


def test_verdicts_change_the_dataset_and_the_library_grows(planted_build):
    wh, tmp, planted, before = planted_build
    # the build recorded the failures it found (the implausible chart tables): of the
    # flags now, the planted ones are new to the library
    (flag_count,) = _sql(wh, "select count(*) from low_quality_flags")[0]
    failed_before = {s for s, v in before.items() if v.startswith("(false")}
    assert flag_count == len(planted) + len(failed_before)
    assert record_failures(wh) == len(planted)
    assert record_failures(wh) == 0

    clean = [r[0] for r in _sql(wh, "select sample_id from quality_audit where is_audit_passed "
                                    "and task_type = 'region_grounding' order by sample_id limit 3")]
    rejected, disputed, approved = clean
    path = tmp / "verdicts.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sample_id", "reviewer", "role", "verdict", "error_type", "note", "time"])
        writer.writerow([rejected, "ann", "first_review", "reject", "grounding_offset", "box on the next cup",
                         "2025-03-01T10:00:00Z"])
        writer.writerow([rejected, "bob", "second_review", "reject", "grounding_offset", "", "2025-03-01T11:00:00Z"])
        writer.writerow([disputed, "ann", "first_review", "approve", "", "", "2025-03-01T10:00:00Z"])
        writer.writerow([disputed, "bob", "second_review", "reject", "", "", "2025-03-01T11:00:00Z"])
        writer.writerow([approved, "ann", "first_review", "approve", "", "", "2025-03-01T10:00:00Z"])
        writer.writerow(["s_not_a_sample", "ann", "first_review", "reject", "", "", "2025-03-01T10:00:00Z"])
    report = import_verdicts(wh, path)
    assert [r.reason for r in report.rejects] == ["unknown_sample"]
    assert "s_not_a_sample" in report.rejects[0].message
    _dbt_build(wh, tmp, *QUALITY_MODELS)

    status = dict(_sql(wh, "select sample_id, (review_status, is_shippable)::varchar from int_samples_qualified "
                           "where sample_id in (?, ?, ?)", [rejected, disputed, approved]))
    assert status == {rejected: "(rejected, false)", disputed: "(needs_arbitration, false)",
                      approved: "(approved, true)"}
    flags = _sql(wh, "select error_type, flag_sources from low_quality_flags where sample_id = ?", [rejected])
    assert flags == [("grounding_offset", ["review"])]
    worklist = dict(_sql(wh, "select sample_id, next_review_role from manual_review_samples "
                             "where sample_id in (?, ?)", [rejected, disputed]))
    assert worklist == {rejected: None, disputed: "arbitration"}
    # the library keeps the planted failures and gains the reviewer's reject
    assert record_failures(wh) == 1
    replay = dict(_sql(wh, "select error_type, known_failures from failure_replay"))
    assert replay["grounding_offset"] == 1  # recorded at the previous build, before this one
    assert replay["count_mismatch"] == 2
