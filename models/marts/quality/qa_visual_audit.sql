-- qa_visual_audit: the grounding samples of the manual review sample that the visual audit
-- draws back onto their original images, with everything the drawing needs. The drawing is
-- a per-image stage outside dbt (quality/visual_audit_stage.py: `mmfactory build` runs it
-- after dbt, `mmfactory visual-audit` alone, on the chosen executor); it writes
-- <warehouse>/<png_path> and derived/visual_audit/index.parquet.
-- Bounded: at most var('visual_audit_max_samples') samples however large the review sample
-- grows: ranked within their stratum (the referent kind: unique, leftmost, rightmost), the
-- ones picked nearest the audit threshold first, then by a stable hash, and taken
-- round-robin across strata. drawing_key is the hash of the drawing's inputs (the image by
-- its content hash, both boxes, label, captions): an unchanged key is not drawn again.
with

review as (

    select * from {{ ref('manual_review_samples') }}
    where task_type = 'region_grounding'

),

grounding as (

    select * from {{ ref('int_grounding_samples_audited') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

asset_sources as (

    select * from {{ ref('stg_landing__asset_sources') }}

),

ranked as (

    select
        grounding.*,
        row_number() over (
            partition by coalesce(grounding.question_referent_kind, '')
            order by
                review.selection_reason is distinct from 'nearest_threshold',
                sha256(grounding.sample_id)
        ) as stratum_rank

    from grounding
    inner join review on review.sample_id = grounding.sample_id

),

chosen as (

    select * from ranked
    order by stratum_rank, coalesce(question_referent_kind, '')
    limit {{ var('visual_audit_max_samples', 64) }}

),

located as (

    select
        chosen.*,
        case
            when chosen.question_referent_kind = 'unique'
                then coalesce(chosen.question_category, '?')
            else chosen.question_referent_kind || ' ' || coalesce(chosen.question_category, '?')
        end as label,
        -- as stored: inside the warehouse, relative to the project, or absolute
        -- (lakehouse.sources.resolve_root)
        asset_sources.images_root || '/' || assets.relative_path as image_path,
        chosen.source_x1_px is not null and chosen.recovered_x1_px is not null as has_boxes

    from chosen
    left join assets on assets.asset_id = chosen.asset_id
    left join asset_sources on asset_sources.source = assets.source

),

captioned as (

    select
        *,
        case when has_boxes then [
            format(
                'red = answer: {} {} (0..1000) -> x {:.1f}-{:.1f}, y {:.1f}-{:.1f} px',
                label, answer_box_grid::varchar,
                recovered_x1_px, recovered_x2_px, recovered_y1_px, recovered_y2_px
            ),
            format(
                'green = COCO annotation {}: x {:.1f}-{:.1f}, y {:.1f}-{:.1f} px',
                referent_annotation_id, source_x1_px, source_x2_px, source_y1_px, source_y2_px
            ),
            format(
                'sample {}: worst edge error {:.2f} px ({:.2f} grid cells), IoU {:.3f}',
                sample_id, max_edge_error_px, max_edge_error_cells, iou
            )
        ] end as caption_lines,
        case
            when image_path is null then 'asset ' || asset_id || ' has no known image file'
            when not has_boxes then 'no source box or no valid answer box to draw'
        end as render_error

    from located

),

final as (

    select
        sample_id,
        asset_id,
        referent_annotation_id as annotation_id,
        label,
        case
            when render_error is null then 'derived/visual_audit/' || sample_id || '.png'
        end as png_path,
        image_path,
        answer_box_grid,
        case when source_x1_px is not null then {
            'x1': source_x1_px, 'y1': source_y1_px, 'x2': source_x2_px, 'y2': source_y2_px
        } end as source_box_px,
        case when recovered_x1_px is not null then {
            'x1': recovered_x1_px,
            'y1': recovered_y1_px,
            'x2': recovered_x2_px,
            'y2': recovered_y2_px
        } end as recovered_box_px,
        max_edge_error_px,
        max_edge_error_cells,
        iou,
        caption_lines,
        case when render_error is null then sha256(to_json({
            'asset_id': asset_id,
            'label': label,
            'caption_lines': caption_lines,
            'source': [source_x1_px, source_y1_px, source_x2_px, source_y2_px],
            'answer': [recovered_x1_px, recovered_y1_px, recovered_x2_px, recovered_y2_px]
        })::varchar) end as drawing_key,
        render_error

    from captioned

)

select * from final
order by sample_id
