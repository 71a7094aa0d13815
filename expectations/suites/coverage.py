"""Checks 2, 3 and 10: what the dataset covers. Asset types (and their balance in the
asset pool), task types (and the largest share one may take), and the smoke set."""

from __future__ import annotations

from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import DistinctValues, Frame, Missing, Part, Query, Violations, gxe
from expectations.suites._common import (
    FINAL,
    SAMPLES,
    SMOKE,
    TRAINING_RECORDS,
    records_with_attributes,
)

ATTRS = {TRAINING_RECORDS: ("id", "task_type", "asset_type", "is_smoke")}


def _shares_frame(inp: CheckInputs, name: str, source_sql: str, column: str, expected: tuple[str, ...],
                  lo: float, hi: float, what: str) -> Frame:
    """One row per value of ``column`` (expected values with zero rows included): its
    count and share of all rows; every share must lie in [lo, hi]."""
    E = gxe()
    df = inp.df(f"""
        with src as ({source_sql}),
        expected as (select unnest(?::varchar[]) as value),
        observed as (select {column} as value, count(*) as n from src where {column} is not null group by 1),
        total as (select count(*) as n from src)
        select coalesce(o.value, e.value) as {column}, coalesce(o.n, 0) as row_count,
               coalesce(o.n, 0) / greatest((select n from total), 1) as share
        from observed as o full outer join expected as e on e.value = o.value
        order by share desc, 1
    """, [list(expected)])
    top = df.iloc[0] if len(df) else None
    summary = (f"{int((df['row_count'] > 0).sum())} {what}; largest share "
               f"{float(top['share']):.1%} ({top[column]})") if top is not None else f"no {what}"
    return Frame(name, df, [
        E.ExpectColumnValuesToBeBetween(column="share", min_value=lo, max_value=hi,
                                        description=f"every {what.rstrip('s')} share in [{lo:.2f}, {hi:.2f}]"),
    ], column, summary=summary)


# ---- 2. asset_type_coverage -------------------------------------------------------------
def asset_type_coverage(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    parts: list[Part] = []
    missing = inp.missing(files=(C.ASSET_MANIFEST_FILE,))
    if missing:
        parts.append(Missing("asset_manifest", missing))
    else:
        rows = Query(inp.con, "select coalesce(image, 'line ' || line_no) as item, asset_type from x_assets")
        parts.append(Frame("asset_manifest", rows, [
            E.ExpectTableRowCountToBeBetween(min_value=1, description="the asset manifest lists assets"),
            E.ExpectColumnValuesToNotBeNull(column="asset_type", description="every asset has a type"),
            E.ExpectColumnValuesToBeInSet(column="asset_type", value_set=list(cfg.asset_types),
                                          description="every asset type is a known one"),
            E.ExpectColumnDistinctValuesToContainSet(column="asset_type", value_set=list(cfg.asset_types),
                                                     description="all asset types are in the pool"),
        ], "item"))
        parts.append(_core_balance(inp, cfg))
    missing = inp.missing(ATTRS, files=(C.FINAL_FILE,))
    if missing:
        parts.append(Missing("dataset_asset_types", missing))
    else:
        final = records_with_attributes(f"r.file_path = {FINAL}")
        types = DistinctValues("asset_type")
        rows = Query(inp.con, f"select record_key, asset_type from ({final})", transform=types)
        parts.append(Frame("dataset_asset_types", rows, [
            E.ExpectColumnDistinctValuesToContainSet(
                column="asset_type", value_set=list(cfg.sample_asset_types),
                description="the dataset holds every asset type and interleaved pairs"),
        ], "record_key", summary=lambda n: "dataset asset types: " + ", ".join(sorted(types.values))))
    return parts


def _core_balance(inp: CheckInputs, cfg: CheckConfig) -> Part:
    """Balance over the balanced core (manifest assets that are pool members); the manifest
    assets beyond the core are counted in the summary (see ``C.POOL_RELATION``)."""
    missing = inp.missing({C.POOL_RELATION: ("asset_id",)})
    if missing:
        return Missing("asset_balance", missing)
    lo, hi = cfg.asset_share_bounds
    core = (f"select x.asset_type from x_assets as x "
            f"where x.asset_id in (select asset_id from {C.POOL_RELATION})")
    frame = _shares_frame(inp, "asset_balance", core, "asset_type", cfg.asset_types, lo, hi,
                          "asset types")
    beyond = inp.df(f"""
        select asset_type, count(*) as n from x_assets
        where asset_id is null or asset_id not in (select asset_id from {C.POOL_RELATION})
        group by 1 order by 1
    """)
    extra = ", ".join(f"{int(r.n):,} {r.asset_type}" for r in beyond.itertuples()) or "none"
    counts = ", ".join(f"{int(r.row_count):,} {getattr(r, 'asset_type')}"
                       for r in frame.df.itertuples())
    frame.summary = f"balanced core: {counts}; {frame.summary}; beyond the core: {extra}"
    return frame


# ---- 3. task_type_coverage --------------------------------------------------------------
def task_type_coverage(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing(ATTRS, files=(C.FINAL_FILE,))
    if missing:
        return [Missing("dataset_task_types", missing)]
    source = f"select record_key, task_type from ({records_with_attributes(f'r.file_path = {FINAL}')})"
    return [
        Frame("dataset_task_types", Query(inp.con, source), [
            E.ExpectTableRowCountToBeBetween(min_value=1, description="the final dataset holds records"),
            E.ExpectColumnDistinctValuesToContainSet(column="task_type", value_set=list(cfg.task_types),
                                                     description="every task type is present"),
        ], "record_key"),
        _core_task_shares(inp, cfg),
    ]


def _core_task_shares(inp: CheckInputs, cfg: CheckConfig) -> Part:
    """The largest-share rule over the records of the balanced core: records whose every
    source asset is a pool member (``C.POOL_RELATION``), the mix the per-type tasks are
    designed to give. Records of photos beyond the pool (the per-photo tasks of a corpus
    with far more photos than documents) are counted in the summary, as in
    ``_core_balance``; a record with no sample behind it counts as core."""
    missing = inp.missing({C.POOL_RELATION: ("asset_id",), SAMPLES: ("sample_id", "source_asset_ids")})
    if missing:
        return Missing("task_type_shares", missing)
    records = f"""
        with final as ({records_with_attributes(f'r.file_path = {FINAL}')}),
        sample_assets as (select sample_id, unnest(source_asset_ids) as asset_id from {SAMPLES}),
        pool as (select distinct asset_id from {C.POOL_RELATION}),
        membership as (
            select sample_assets.sample_id, bool_and(pool.asset_id is not null) as is_core
            from sample_assets left join pool on pool.asset_id = sample_assets.asset_id
            group by sample_assets.sample_id
        )
        select final.record_key, final.task_type, coalesce(membership.is_core, true) as is_core
        from final left join membership on membership.sample_id = final.id
    """
    frame = _shares_frame(inp, "task_type_shares", f"select * from ({records}) where is_core",
                          "task_type", cfg.task_types, 0.0, cfg.max_task_type_share, "task types")
    beyond = inp.df(f"""
        select task_type, count(*) as n from ({records}) where not is_core
        group by 1 order by 2 desc, 1
    """)
    extra = ", ".join(f"{int(r.n):,} {r.task_type}" for r in beyond.itertuples()) or "none"
    frame.summary = f"balanced core: {frame.summary}; beyond the core: {extra}"
    return frame


# ---- 10. smoke_covers_task_types --------------------------------------------------------
def smoke_covers_task_types(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing(ATTRS, files=(C.SMOKE_FILE, C.FINAL_FILE))
    if missing:
        return [Missing("smoke_records", missing)]
    df = inp.df(f"select record_key, task_type, asset_type from ({records_with_attributes(f'r.file_path = {SMOKE}')})")
    violations = inp.df(f"""
        with smoke as (select id from x_records where file_path = {SMOKE}),
        final as (select id from x_records where file_path = {FINAL})
        select 'smoke record not in the final dataset: ' || id as violation from smoke
        where id not in (select id from final where id is not null)
        union all
        select 'smoke record not marked is_smoke: ' || s.id from smoke as s
        left join {TRAINING_RECORDS} as t on t.id = s.id where not coalesce(t.is_smoke, false)
        union all
        select 'marked is_smoke but not in the smoke file: ' || t.id from {TRAINING_RECORDS} as t
        where t.is_smoke and t.id in (select id from final where id is not null)
          and t.id not in (select id from smoke where id is not null)
        order by 1
    """)
    return [
        Frame("smoke_records", df, [
            E.ExpectTableRowCountToBeBetween(min_value=1, description="the smoke set holds records"),
            E.ExpectColumnDistinctValuesToContainSet(column="task_type", value_set=list(cfg.task_types),
                                                     description="the smoke set holds every task type"),
            E.ExpectColumnDistinctValuesToContainSet(column="asset_type", value_set=list(cfg.sample_asset_types),
                                                     description="the smoke set holds every asset type"),
        ], "record_key", summary=f"{len(df)} smoke records, {df['task_type'].nunique()} task types, "
                                 f"{df['asset_type'].nunique()} asset types"),
        Violations("smoke_membership", violations, "violation",
                   "the smoke file is exactly the final records marked is_smoke"),
    ]

