-- The training manifest: one row that says what this build delivered: totals per split,
-- task type, asset type and language; every exported file with its row count and
-- sha256; the factory version, template hashes and dbt invocation id; and the result of
-- the train/val overlap check. Written to <warehouse>/exports/training_manifest.json by
-- the post-hook.
{{ config(post_hook=write_json_object(this, 'training_manifest.json')) }}

with

samples as (

    select * from {{ ref('samples') }}

),

files as (

    select * from {{ ref('export_files') }}

),

templates as (

    select * from {{ ref('stg_seeds__instruction_templates') }}

),

lineage as (

    select
        asset_id,
        parent_asset_id
    from {{ ref('stg_landing__asset_lineage') }}

),

direct_assets as (

    select distinct
        split,
        unnest(source_asset_ids) as asset_id
    from samples

),

split_assets as (

    -- the assets a split's samples use, and the photos those were derived from
    select
        split,
        asset_id
    from direct_assets
    union
    select
        direct_assets.split,
        lineage.parent_asset_id
    from direct_assets
    inner join lineage on lineage.asset_id = direct_assets.asset_id

),

overlap as (

    select
        (select count(*) from (
            select asset_id from split_assets
            where split = 'train'
            intersect
            select asset_id from split_assets
            where split = 'val'
        )) as shared_source_asset_count,
        (select count(*) from (
            select sample_id from samples
            where split = 'train'
            intersect
            select sample_id from samples
            where split = 'val'
        )) as shared_sample_id_count

),

final as (

    select
        '{{ var("factory_version") }}' as factory_version,
        '{{ invocation_id }}' as dbt_invocation_id,
        current_timestamp at time zone 'UTC' as built_at,
        (select count(*) from samples) as sample_count,
        (
            select count(*) from samples
            where is_smoke
        ) as smoke_sample_count,
        (select m from (select map(list(split order by split), list(n order by split)) as m from (
            select
                split,
                count(*) as n
            from samples
            group by split
        ))) as samples_by_split,
        (select m from (select map(list(task_type order by task_type), list(n order by task_type)) as m from (
            select
                task_type,
                count(*) as n
            from samples
            group by task_type
        ))) as samples_by_task_type,
        (select m from (select map(list(asset_type order by asset_type), list(n order by asset_type)) as m from (
            select
                asset_type,
                count(*) as n
            from samples
            group by asset_type
        ))) as samples_by_asset_type,
        (select m from (select map(list(language order by language), list(n order by language)) as m from (
            select
                language,
                count(*) as n
            from samples
            group by language
        ))) as samples_by_language,
        (select list({
            'file_path': file_path, 'profile': profile, 'split': split,
            'row_count': row_count, 'sha256': sha256, 'size_bytes': size_bytes
        }
        order by file_path) from files) as files,
        (
            select list({'template_id': template_id, 'template_hash': template_hash} order by template_id)
            from templates
        ) as templates,
        (select shared_source_asset_count from overlap) as shared_source_asset_count,
        (select shared_sample_id_count from overlap) as shared_sample_id_count,
        (select shared_source_asset_count = 0 and shared_sample_id_count = 0 from overlap) as is_split_overlap_free,
        (select q from {{ ref('quality_summary') }} as q) as quality,
        'raw_image' as llava_box_frame,
        'images' as image_folder

)

select * from final
