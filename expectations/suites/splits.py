"""Check 9: train and val share no sample id and no source asset, in any exported profile;
the split files partition the final dataset by each record's split; the lakehouse and the
manifest agree there is no overlap."""

from __future__ import annotations

import pandas as pd

from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Missing, Part, Violations
from expectations.suites._common import FINAL, SAMPLES, TRAINING_RECORDS, quote


def split_no_overlap(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    missing = inp.missing({TRAINING_RECORDS: ("id", "split"), SAMPLES: ("sample_id", "split", "source_asset_ids")},
                          files=(C.FINAL_FILE, *C.SPLIT_FILES.values()))
    if missing:
        return [Missing("split_rules", missing)]
    train, val = quote(C.SPLIT_FILES["train"]), quote(C.SPLIT_FILES["val"])
    df = inp.df(f"""
        with split_records as (
            select profile, file_split, id, images from x_records where file_split in ('train', 'val')
        ),
        shared_ids as (
            select distinct 'id in train and val (' || a.profile || '): ' || a.id as violation
            from split_records as a inner join split_records as b
                on a.profile = b.profile and a.id = b.id and a.file_split = 'train' and b.file_split = 'val'
        ),
        split_assets as (
            select s.profile, s.file_split, coalesce(m.asset_id, s.image) as asset
            from (select profile, file_split, unnest(images) as image from split_records) as s
            left join x_assets as m on m.image = s.image
        ),
        shared_assets as (
            select distinct 'source asset in train and val (' || a.profile || '): ' || a.asset
            from split_assets as a inner join split_assets as b
                on a.profile = b.profile and a.asset = b.asset and a.file_split = 'train' and b.file_split = 'val'
        ),
        canonical as (
            select file_path, file_split, id from x_records where file_path in ({FINAL}, {train}, {val})
        ),
        membership as (
            select id,
                   count(*) filter (where file_path = {FINAL}) as in_final,
                   count(*) filter (where file_path = {train}) as in_train,
                   count(*) filter (where file_path = {val}) as in_val
            from canonical where id is not null group by id
        ),
        partition_breaks as (
            select case when in_final = 0 then 'in a split file but not in the final dataset: '
                        else 'in the final dataset but not in exactly one split file: ' end || id
            from membership
            where in_final = 0 or (in_train > 0) = (in_val > 0)
        ),
        mislabelled as (
            select 'in ' || c.file_split || '.jsonl but its split is ' || coalesce(t.split, 'unknown') || ': ' || c.id
            from canonical as c left join {TRAINING_RECORDS} as t on t.id = c.id
            where c.file_split in ('train', 'val') and t.split is distinct from c.file_split
        ),
        lakehouse_shared_assets as (
            select 'source asset in train and val samples (lakehouse): ' || asset_id
            from (select distinct split, unnest(source_asset_ids) as asset_id from {SAMPLES})
            group by asset_id having count(distinct split) > 1
        )
        select * from shared_ids
        union all select * from shared_assets
        union all select * from partition_breaks
        union all select * from mislabelled
        union all select * from lakehouse_shared_assets
        order by 1
    """)
    df.columns = ["violation"]
    parts: list[Part] = [Violations(
        "split_rules", df, "violation",
        "train and val share no id and no source asset; the split files partition the final dataset",
        summary="train/val share no id or asset in any profile; splits partition the dataset")]
    manifest, error = inp.json_file(C.MANIFEST_FILE)
    if error or not isinstance(manifest, dict):
        parts.append(Missing("manifest_overlap_flag", [error or f"exports/{C.MANIFEST_FILE} is not an object"]))
    else:
        rows = []
        if manifest.get("is_split_overlap_free") is not True:
            rows.append(f"manifest is_split_overlap_free = {manifest.get('is_split_overlap_free')!r}")
        for key in ("shared_sample_id_count", "shared_source_asset_count"):
            if manifest.get(key) != 0:
                rows.append(f"manifest {key} = {manifest.get(key)!r}")
        parts.append(Violations("manifest_overlap_flag", pd.DataFrame({"violation": rows}, dtype=object),
                                "violation", "the manifest records a clean overlap check",
                                summary="manifest overlap check clean"))
    return parts
