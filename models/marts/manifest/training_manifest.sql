-- The training manifest: one row that says what this build delivered: totals per split,
-- task type, asset type and language; every exported file with its row count and
-- sha256; the factory version, template hashes and dbt invocation id; and the result of
-- the train/val overlap check. Written to <warehouse>/exports/training_manifest.json by
-- the post-hook.
{{ config(post_hook="{{ write_json_object(this, 'training_manifest.json') }}") }}

with

samples as (

    select * from {{ ref('samples') }}

),

files as (

    select * from {{ ref('export_files') }}

),

packed as (

    select * from {{ ref('packed_records') }}

),

left_out as (

    select
        export_profile,
        count(*) as sample_count
    from {{ ref('profile_boxes') }}
    where not is_kept
    group by export_profile

),

profiles as (

    select * from {{ ref('stg_seeds__export_profiles') }}
    where export_profile in (select profile from {{ ref('export_files') }})

),

templates as (

    select * from {{ ref('stg_seeds__instruction_templates') }}

),

quality_summary as (

    select * from {{ ref('quality_summary') }}

),

lineage as (

    select * from {{ ref('stg_landing__asset_lineage') }}

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

shared_source_assets as (

    select asset_id from split_assets
    where split = 'train'
    intersect
    select asset_id from split_assets
    where split = 'val'

),

shared_sample_ids as (

    select sample_id from samples
    where split = 'train'
    intersect
    select sample_id from samples
    where split = 'val'

),

overlap as (

    select
        (select count(*) from shared_source_assets) as shared_source_asset_count,
        (select count(*) from shared_sample_ids) as shared_sample_id_count

),

by_split as (

    select
        split,
        count(*) as sample_count

    from samples
    group by split

),

by_task_type as (

    select
        task_type,
        count(*) as sample_count

    from samples
    group by task_type

),

by_asset_type as (

    select
        asset_type,
        count(*) as sample_count

    from samples
    group by asset_type

),

by_language as (

    select
        language,
        count(*) as sample_count

    from samples
    group by language

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
        (
            select map(list(split order by split), list(sample_count order by split))
            from by_split
        ) as samples_by_split,
        (
            select map(list(task_type order by task_type), list(sample_count order by task_type))
            from by_task_type
        ) as samples_by_task_type,
        (
            select map(list(asset_type order by asset_type), list(sample_count order by asset_type))
            from by_asset_type
        ) as samples_by_asset_type,
        (
            select map(list(language order by language), list(sample_count order by language))
            from by_language
        ) as samples_by_language,
        (select count(*) from packed) as packed_record_count,
        (select coalesce(sum(sample_count), 0) from packed) as packed_sample_count,
        {{ var('packed_max_turns') }} as packed_max_turns,
        (
            select
                list(
                    {
                        'export_profile': export_profile,
                        'box_convention': box_convention,
                        'image_resize': image_resize
                    } order by profile_order
                )
            from profiles
        ) as export_profiles,
        (
            select
                map(
                    list(export_profile order by export_profile),
                    list(sample_count order by export_profile)
                )
            from left_out
        ) as samples_left_out_by_profile,
        (
            select
                list(
                    {
                        'file_path': file_path, 'profile': profile, 'split': split,
                        'row_count': row_count, 'sha256': sha256, 'size_bytes': size_bytes
                    } order by file_path
                )
            from files
        ) as files,
        (
            select
                list(
                    {'template_id': template_id, 'template_hash': template_hash}
                    order by template_id
                )
            from templates
        ) as templates,
        (select shared_source_asset_count from overlap) as shared_source_asset_count,
        (select shared_sample_id_count from overlap) as shared_sample_id_count,
        (
            select shared_source_asset_count = 0 and shared_sample_id_count = 0
            from overlap
        ) as is_split_overlap_free,
        -- the quality figures as one struct: DuckDB reads a table's name as its row
        (select quality_summary from quality_summary) as quality,
        'raw_image' as llava_box_frame,
        'images' as image_folder

)

select * from final
