"""The packed multi-turn set (exports/packed/{train,val}.jsonl), checked as part of
check 5 (conversation_format) and its counts as part of check 11
(manifest_matches_artifacts).

A packed record holds the turn pairs of several audited single-image samples of one image
and split: human first and alternating, one ``<image>`` in the first human turn only,
``2 x len(sample_ids)`` turns, and each turn pair equal to its sample's own conversation
(the placeholder taken out after the first). Every packable sample is packed exactly once.

The packed records are read with the other record files, in the same pass on every core
and through the same cache of what earlier runs parsed (``expectations.facts_cache``):
``x_packed`` on the inputs' connection (``inputs.PACKED_VIEW``), which both checks query.
"""

from __future__ import annotations

import pandas as pd

from consumers.common import IMAGE_TOKEN
from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Frame, Missing, Part, Query, Violations, gxe

SAMPLES = "samples"
COLUMNS = ["record_key", "file_split", "turn_problems", "image_count", "first_turn_image_tokens",
           "later_image_tokens", "turns_for_samples", "untraceable_turns", "max_turns_ok"]


def packed_files(inp: CheckInputs) -> list[str]:
    return [rel for rel in C.PACKED_FILES if (inp.exports / rel).is_file()]


def packed_counts(inp: CheckInputs) -> tuple[int, int]:
    """(packed records, samples they hold)."""
    records, samples = inp.con.execute("select count(*), coalesce(sum(len(sample_ids)), 0) from x_packed").fetchone()
    return records, samples


# turn pair i of a packed record (its turns 2i+1 and 2i+2 that are objects) against the
# conversation of sample_ids[i]: same split and images, and the same turns, the first
# human turn's placeholder line taken out after the first pair
_TRACE = f"""
    with pairs as (
        select
            r.record_no, r.file_split, r.images, p.sample_id, p.position,
            list_filter(r.turns[2 * p.position - 1:2 * p.position], lambda t: t is not null) as pair
        from x_packed as r, unnest(r.sample_ids) with ordinality as p (sample_id, position)
    ),
    first_turns as (
        select
            sample_id, split, image_paths, conversations,
            position(placeholder.line in conversations[1]."value") as line_at, placeholder.line
        from {SAMPLES}
        cross join (select $line::varchar as line) as placeholder
        where sample_id in (select sample_id from pairs)
    ),
    expected as (
        select
            sample_id, split, image_paths, conversations,
            case when len(conversations) = 0 then conversations else list_concat([{{
                'from': conversations[1]."from",
                'value': case when line_at > 0
                    then substr(conversations[1]."value", 1, line_at - 1)
                         || substr(conversations[1]."value", line_at + length(line))
                    else conversations[1]."value" end
            }}], conversations[2:]) end as later_conversations
        from first_turns
    ),
    traced as (
        select
            pairs.record_no,
            coalesce(
                e.sample_id is not null and e.split = pairs.file_split
                and e.image_paths is not distinct from pairs.images
                and pairs.pair is not distinct from
                    case when pairs.position = 1 then e.conversations else e.later_conversations end,
                false) as is_traced
        from pairs left join expected as e on e.sample_id = pairs.sample_id
    )
    select r.record_key, r.file_split, r.turn_problems, r.image_count, r.first_turn_image_tokens,
           r.later_image_tokens, r.turns_for_samples,
           coalesce((select count(*) filter (where not t.is_traced) from traced as t
                     where t.record_no = r.record_no), 0) as untraceable_turns,
           $max_turns::bigint is null or len(r.sample_ids) <= $max_turns::bigint as max_turns_ok
    from x_packed as r
"""


def packed_conversation_parts(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    """The packed records' conversations, traced turn by turn to their audited samples."""
    E = gxe()
    if not packed_files(inp):
        return [Missing("packed_records", [f"no exports/{C.PACKED_DIR}/*.jsonl"])]
    missing = inp.missing({SAMPLES: ("sample_id", "split", "image_paths", "conversations", "image_count")})
    if missing:
        return [Missing("packed_records", missing)]
    manifest, _ = inp.json_file("training_manifest.json")
    max_turns = manifest.get("packed_max_turns") if isinstance(manifest, dict) else None
    _, packed_count = packed_counts(inp)
    coverage = inp.df(f"""
        with packable as (
            select sample_id from {SAMPLES}
            where image_count = 1 and len(conversations) = 2 and split in ('train', 'val')
        ),
        counted as (
            select sample_id, count(*) as n
            from (select unnest(sample_ids) as sample_id from x_packed)
            where sample_id is not null
            group by sample_id
        )
        select 'sample ' || coalesce(p.sample_id, c.sample_id) || ' packed '
               || coalesce(c.n, 0) || ' times' || case when p.sample_id is null
               then ' but not packable' else '' end as violation
        from packable as p full outer join counted as c on c.sample_id = p.sample_id
        where coalesce(c.n, 0) <> 1 or p.sample_id is null
        order by 1
    """)
    limit = None if max_turns is None else int(max_turns)
    rows = Query(inp.con, _TRACE, {"line": IMAGE_TOKEN + "\n", "max_turns": limit},
                 transform=lambda df: df[COLUMNS].astype(object), order="r.record_no")
    frame = Frame("packed_records", rows, [
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
    ], "record_key", summary=lambda n: f"{n} packed records holding {packed_count} samples")
    return [frame, Violations("packed_coverage", coverage, "violation",
                              "every packable single-image sample is packed exactly once",
                              summary="every packable sample packed once")]


def packed_manifest_parts(inp: CheckInputs) -> list[Part]:
    """The manifest's packed_record_count / packed_sample_count against the packed files."""
    E = gxe()
    manifest, error = inp.json_file("training_manifest.json")
    if error or not isinstance(manifest, dict):
        return []  # check 11 reports the manifest itself
    records, samples = packed_counts(inp)
    actual = {"packed_record_count": records, "packed_sample_count": samples}
    df = pd.DataFrame([{"key": k, "reported": manifest.get(k), "recomputed": v} for k, v in actual.items()],
                      columns=["key", "reported", "recomputed"]).astype(object)
    return [Frame("manifest_packed_counts", df, [
        E.ExpectColumnPairValuesToBeEqual(column_A="reported", column_B="recomputed",
                                          description="the manifest's packed records and samples = the files'"),
    ], "key", summary=f"{actual['packed_record_count']} packed records, {actual['packed_sample_count']} samples")]
