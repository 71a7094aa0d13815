"""Checks 4 and 5: the record schema (ids, required fields, enumerations, only audited
and reviewed samples ship) and the conversation format every trainer relies on."""

from __future__ import annotations

from consumers.common import IMAGE_TOKEN
from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import RECORD_NO, CheckInputs
from expectations.parts import Frame, Missing, Part, Query, Violations, gxe
from expectations.suites._common import FINAL, SAMPLES, TRAINING_RECORDS, in_list
from expectations.suites.packing import packed_conversation_parts

CANONICAL_KEYS = "conversations,id,image"

# samples, the wide audit record: the columns every sample must carry (scalar ones are
# checked for nulls; list ones for being non-empty)
SAMPLE_SCALARS = ("sample_id", "task_type", "asset_type", "language", "split", "template_id",
                  "template_hash", "factory_version", "generation_method", "review_status", "image_count")
SAMPLE_LISTS = ("source_asset_ids", "image_paths", "conversations")
AUDIT_COLUMNS = ("sample_id", "is_audit_passed", "review_status", "is_shippable")


# ---- 4. record_schema -------------------------------------------------------------------
def _record_files_frame(inp: CheckInputs, cfg: CheckConfig) -> Frame:
    E = gxe()
    rows = Query(inp.con, f"""
        select {RECORD_NO} as record_no, file_path, id, parse_error, keys, image_kind, n_images, conversation_kind
        from x_records where file_path in {in_list(C.CANONICAL_FILES)}
    """, order="file_no, line_no")
    files = inp.files_with_records(C.CANONICAL_FILES)
    return Frame("record_files", rows, [
        E.ExpectColumnValuesToBeNull(column="parse_error", description="every line is a JSON object"),
        E.ExpectColumnValuesToNotBeNull(column="id", description="every record has an id"),
        E.ExpectColumnValuesToMatchRegex(column="id", regex=cfg.sample_id_regex,
                                         description="ids have the sample id shape"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["file_path", "id"],
                                          description="ids are unique within each file"),
        E.ExpectColumnValuesToBeInSet(column="keys", value_set=[CANONICAL_KEYS],
                                      description="records hold exactly id, image, conversations"),
        E.ExpectColumnValuesToBeInSet(column="image_kind", value_set=["list"],
                                      description="image is a list of paths"),
        E.ExpectColumnValuesToBeBetween(column="n_images", min_value=1, description="at least one image"),
        E.ExpectColumnValuesToBeInSet(column="conversation_kind", value_set=["list"],
                                      description="conversations is a list"),
    ], "record_no", summary=lambda n: f"{n} records in {files} canonical files", id_labels=inp.record_keys)


def _training_records_frame(inp: CheckInputs, cfg: CheckConfig) -> Frame:
    E = gxe()
    rows = Query(inp.con, f"""
        select id, len(image) as n_images, len(conversations) as n_turns, split, task_type,
               asset_type, language, record_set, is_smoke
        from {TRAINING_RECORDS}
    """)
    exps = [E.ExpectColumnValuesToBeUnique(column="id", description="ids are unique")]
    exps += [E.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is set")
             for c in ("id", "split", "task_type", "asset_type", "language", "record_set", "is_smoke")]
    exps += [
        E.ExpectColumnValuesToBeBetween(column="n_images", min_value=1, description="at least one image"),
        E.ExpectColumnValuesToBeBetween(column="n_turns", min_value=2, description="at least one exchange"),
        E.ExpectColumnValuesToBeInSet(column="split", value_set=list(C.SPLITS), description="split in its set"),
        E.ExpectColumnValuesToBeInSet(column="task_type", value_set=list(cfg.task_types),
                                      description="task_type in its set"),
        E.ExpectColumnValuesToBeInSet(column="asset_type", value_set=list(cfg.sample_asset_types),
                                      description="asset_type in its set"),
        E.ExpectColumnValuesToBeInSet(column="language", value_set=list(cfg.languages),
                                      description="language in its set"),
        E.ExpectColumnValuesToBeInSet(column="record_set", value_set=list(C.RECORD_SETS),
                                      description="record_set in its set"),
    ]
    return Frame("training_records", rows, exps, "id", summary=lambda n: f"{n} training records")


def _samples_parts(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    have = inp.columns(SAMPLES) or {}
    parts: list[Part] = []
    absent = [c for c in (*SAMPLE_SCALARS, *SAMPLE_LISTS) if c not in have]
    if absent:
        parts.append(Missing("samples_columns", [f"column samples.{c} does not exist" for c in absent]))
    scalars = [c for c in SAMPLE_SCALARS if c in have]
    lists = [c for c in SAMPLE_LISTS if c in have]
    if "sample_id" not in have:
        return parts
    select = ", ".join([*scalars, *(f"len({c}) as n_{c}" for c in lists)])
    rows = Query(inp.con, f"select {select} from {SAMPLES}")
    exps = [E.ExpectColumnValuesToBeUnique(column="sample_id", description="sample ids are unique")]
    exps += [E.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is set") for c in scalars]
    exps += [E.ExpectColumnValuesToBeBetween(column=f"n_{c}", min_value=1, description=f"{c} is not empty")
             for c in lists]
    enums = {"task_type": cfg.task_types, "asset_type": cfg.sample_asset_types, "language": cfg.languages,
             "split": C.SPLITS, "review_status": C.REVIEW_STATUSES}
    exps += [E.ExpectColumnValuesToBeInSet(column=c, value_set=list(v), description=f"{c} in its set")
             for c, v in enums.items() if c in scalars]
    if "image_count" in scalars and "source_asset_ids" in lists:
        exps.append(E.ExpectColumnPairValuesToBeEqual(column_A="image_count", column_B="n_source_asset_ids",
                                                      description="image_count = number of source assets"))
    parts.append(Frame("samples", rows, exps, "sample_id", summary=lambda n: f"{n} samples"))
    return parts


def record_schema(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    parts: list[Part] = []
    parts.append(_record_files_frame(inp, cfg))
    missing = inp.missing({TRAINING_RECORDS: ("id", "image", "conversations", "split", "task_type",
                                              "asset_type", "language", "record_set", "is_smoke")})
    parts.append(Missing("training_records", missing) if missing else _training_records_frame(inp, cfg))
    missing = inp.missing({SAMPLES: ("sample_id",)})
    parts += [Missing("samples", missing)] if missing else _samples_parts(inp, cfg)

    missing = inp.missing({TRAINING_RECORDS: ("id",), SAMPLES: ("sample_id",)})
    if missing:
        parts.append(Missing("known_ids", missing))
    else:
        parts.append(Violations("known_ids", inp.df(f"""
            select 'record ' || coalesce(r.id, '(no id)') || ' in ' || r.file_path || ' is not a training record'
                as violation
            from x_records as r left join {TRAINING_RECORDS} as t on t.id = r.id
            where r.file_path in {in_list(C.CANONICAL_FILES)} and t.id is null
            union all
            select 'training record ' || t.id || ' has no sample' from {TRAINING_RECORDS} as t
            left join {SAMPLES} as s on s.sample_id = t.id where s.sample_id is null
            order by 1
        """), "violation", "every exported id is a training record, and every training record a sample"))

    audit = C.AUDIT_RELATION
    missing = inp.missing({audit: AUDIT_COLUMNS})
    if missing:
        parts.append(Missing("audit_verdicts", [f"{m} (the quality layer)" for m in missing]))
        return parts
    verdicts = Query(inp.con, f"select sample_id, is_audit_passed, review_status, is_shippable from {audit}")
    E = gxe()
    parts.append(Frame("audit_verdicts", verdicts, [
        E.ExpectColumnValuesToBeUnique(column="sample_id", description="one verdict per sample"),
        E.ExpectColumnValuesToNotBeNull(column="is_audit_passed", description="every sample was audited"),
        E.ExpectColumnValuesToNotBeNull(column="review_status", description="review_status is set"),
        E.ExpectColumnValuesToBeInSet(column="review_status", value_set=list(C.REVIEW_STATUSES),
                                      description="review_status in its set"),
    ], "sample_id", summary=lambda n: f"{n} audit verdicts"))
    parts.append(Violations("shipped_passed_audit_and_review", inp.df(f"""
        select coalesce(r.id, '(no id)') || ': ' || case
            when q.sample_id is null then 'no audit verdict'
            when not coalesce(q.is_audit_passed, false) then 'audit not passed'
            when coalesce(q.review_status, '') not in {in_list(cfg.shippable_review_statuses)}
                then 'review_status ' || coalesce(q.review_status, 'null')
            else 'not shippable' end as violation
        from x_records as r left join {audit} as q on q.sample_id = r.id
        where r.file_path = {FINAL}
          and (q.sample_id is null or not coalesce(q.is_audit_passed, false)
               or coalesce(q.review_status, '') not in {in_list(cfg.shippable_review_statuses)}
               or not coalesce(q.is_shippable, false))
        order by 1
    """), "violation", "only samples that passed the audit and were not rejected in review ship",
        summary="every shipped sample passed the audit and review"))
    return parts


# ---- 5. conversation_format -------------------------------------------------------------
def conversation_format(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    """Every record as the trainer reading its file takes it: the facts were taken when the
    records were read (``expectations.record_facts``: turns, placeholders, the consumer's
    own rules from ``consumers.registry``)."""
    E = gxe()
    # rows named by number, the few offending ones by record key (Frame.id_labels)
    rows = Query(inp.con, f"""
        select {RECORD_NO} as record_no, trainer_turns as n_turns, turn_problems, image_count,
               first_turn_image_tokens, later_human_image_tokens, answer_image_tokens, trainer_problems
        from x_records
    """, order="file_no, line_no")
    files = inp.files_with_records()
    return [Frame("conversations", rows, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="there are records to check"),
        E.ExpectColumnValuesToBeNull(column="turn_problems",
                                     description="human first, alternating, non-empty turns, even count"),
        E.ExpectColumnPairValuesToBeEqual(column_A="first_turn_image_tokens", column_B="image_count",
                                          description=f"the first human turn holds one {IMAGE_TOKEN} per image"),
        E.ExpectColumnValuesToBeInSet(column="later_human_image_tokens", value_set=[0],
                                      description=f"no {IMAGE_TOKEN} in later human turns"),
        E.ExpectColumnValuesToBeInSet(column="answer_image_tokens", value_set=[0],
                                      description=f"no {IMAGE_TOKEN} in answers"),
        E.ExpectColumnValuesToBeNull(column="trainer_problems",
                                     description="the trainer reading the file takes the record"),
    ], "record_no", summary=lambda n: f"{n} conversations in {files} files", id_labels=inp.record_keys),
        *packed_conversation_parts(inp, cfg)]
