"""The packed multi-turn set (exports/packed/{train,val}.jsonl), checked as part of
check 5 (conversation_format) and its counts as part of check 11
(manifest_matches_artifacts).

A packed record holds the turn pairs of several audited single-image samples of one image
and split: human first and alternating, one ``<image>`` in the first human turn only,
``2 x len(sample_ids)`` turns, and each turn pair equal to its sample's own conversation
(the placeholder taken out after the first). Every packable sample is packed exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from consumers.common import IMAGE_TOKEN, check_turns, placeholder_counts
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Frame, Missing, Part, Violations, gxe

PACKED_DIR = "packed"
PACKED_SPLITS = ("train", "val")
SAMPLES = "samples"
COLUMNS = ["record_key", "file_split", "turn_problems", "image_count", "first_turn_image_tokens",
           "later_image_tokens", "turns_for_samples", "untraceable_turns", "max_turns_ok"]


def packed_files(inp: CheckInputs) -> list[str]:
    return [f"{PACKED_DIR}/{s}.jsonl" for s in PACKED_SPLITS if (inp.exports / PACKED_DIR / f"{s}.jsonl").is_file()]


def _records(inp: CheckInputs) -> list[tuple[str, str, dict]]:
    out = []
    for rel in packed_files(inp):
        split = Path(rel).stem
        for raw in inp.raw_records(rel):  # parsed once for checks 5 and 11
            out.append((raw.key, split, raw.record if isinstance(raw.record, dict) else {}))
    return out


def packed_conversation_parts(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    """The packed records' conversations, traced turn by turn to their audited samples."""
    E = gxe()
    if not packed_files(inp):
        return [Missing("packed_records", [f"no exports/{PACKED_DIR}/*.jsonl"])]
    missing = inp.missing({SAMPLES: ("sample_id", "split", "image_paths", "conversations", "image_count")})
    if missing:
        return [Missing("packed_records", missing)]
    manifest, _ = inp.json_file("training_manifest.json")
    max_turns = manifest.get("packed_max_turns") if isinstance(manifest, dict) else None
    samples = {sid: (split, list(images), [(t["from"], t["value"]) for t in conv]) for sid, split, images, conv in
               inp.con.execute(f"select sample_id, split, image_paths, conversations from {SAMPLES}").fetchall()}
    rows, packed_ids = [], []
    for key, split, rec in _records(inp):
        conv = rec.get("conversations") if isinstance(rec.get("conversations"), list) else []
        ids = rec.get("sample_ids") if isinstance(rec.get("sample_ids"), list) else []
        images = rec.get("image") if isinstance(rec.get("image"), list) else []
        packed_ids += ids
        first, later, answers = placeholder_counts(conv)
        untraceable = 0
        for i, sid in enumerate(ids):
            pair = [(t.get("from"), t.get("value")) for t in conv[2 * i:2 * i + 2] if isinstance(t, dict)]
            sample = samples.get(sid)
            if sample is None or sample[0] != split or sample[1] != images:
                untraceable += 1
                continue
            expected = list(sample[2])
            if i > 0 and expected:
                expected[0] = (expected[0][0], expected[0][1].replace(IMAGE_TOKEN + "\n", "", 1))
            untraceable += pair != expected
        rows.append({
            "record_key": key, "file_split": split, "turn_problems": "; ".join(check_turns(conv)) or None,
            "image_count": len(images), "first_turn_image_tokens": first, "later_image_tokens": later + answers,
            "turns_for_samples": len(conv) == 2 * len(ids) and len(ids) > 0, "untraceable_turns": untraceable,
            "max_turns_ok": max_turns is None or len(ids) <= int(max_turns),
        })
    df = pd.DataFrame(rows, columns=COLUMNS).astype(object)
    frame = Frame("packed_records", df, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="the packed set holds records"),
        E.ExpectColumnValuesToBeNull(column="turn_problems",
                                     description="packed turns: human first, alternating, non-empty, even"),
        E.ExpectColumnValuesToBeInSet(column="image_count", value_set=[1], description="one image per packed record"),
        E.ExpectColumnValuesToBeInSet(column="first_turn_image_tokens", value_set=[1],
                                      description=f"one {IMAGE_TOKEN} in the first human turn"),
        E.ExpectColumnValuesToBeInSet(column="later_image_tokens", value_set=[0],
                                      description=f"no {IMAGE_TOKEN} after the first turn"),
        E.ExpectColumnValuesToBeInSet(column="turns_for_samples", value_set=[True],
                                      description="two turns per packed sample"),
        E.ExpectColumnValuesToBeInSet(column="untraceable_turns", value_set=[0],
                                      description="every turn pair is its audited sample's, same split and image"),
        E.ExpectColumnValuesToBeInSet(column="max_turns_ok", value_set=[True],
                                      description="at most packed_max_turns turn pairs per record"),
    ], "record_key", summary=f"{len(df)} packed records holding {len(packed_ids)} samples")
    inp.con.register("x_packed_ids", pd.DataFrame({"sample_id": pd.Series(packed_ids, dtype=object)}))
    try:
        coverage = inp.df(f"""
            with packable as (
                select sample_id from {SAMPLES}
                where image_count = 1 and len(conversations) = 2 and split in ('train', 'val')
            ),
            counted as (select sample_id, count(*) as n from x_packed_ids group by sample_id)
            select 'sample ' || coalesce(p.sample_id, c.sample_id) || ' packed '
                   || coalesce(c.n, 0) || ' times' || case when p.sample_id is null
                   then ' but not packable' else '' end as violation
            from packable as p full outer join counted as c on c.sample_id = p.sample_id
            where coalesce(c.n, 0) <> 1 or p.sample_id is null
            order by 1
        """)
    finally:
        inp.con.unregister("x_packed_ids")
    return [frame, Violations("packed_coverage", coverage, "violation",
                              "every packable single-image sample is packed exactly once",
                              summary="every packable sample packed once")]


def packed_manifest_parts(inp: CheckInputs) -> list[Part]:
    """The manifest's packed_record_count / packed_sample_count against the packed files."""
    E = gxe()
    manifest, error = inp.json_file("training_manifest.json")
    if error or not isinstance(manifest, dict):
        return []  # check 11 reports the manifest itself
    records = _records(inp)
    actual = {"packed_record_count": len(records),
              "packed_sample_count": sum(len(r.get("sample_ids") or []) for _, _, r in records)}
    df = pd.DataFrame([{"key": k, "reported": manifest.get(k), "recomputed": v} for k, v in actual.items()],
                      columns=["key", "reported", "recomputed"]).astype(object)
    return [Frame("manifest_packed_counts", df, [
        E.ExpectColumnPairValuesToBeEqual(column_A="reported", column_B="recomputed",
                                          description="the manifest's packed records and samples = the files'"),
    ], "key", summary=f"{actual['packed_record_count']} packed records, {actual['packed_sample_count']} samples")]
