-- Every landed annotation with its box on the 0..1000 grid ([ymin, xmin, ymax, xmax],
-- rounded half-up, clamped), computed in SQL by the macro bbox_coco_to_grid_sql (the
-- bbox_coco_to_grid UDF's twin, equal on every row: the UDF holds the GIL, so it runs on
-- one thread while this expression uses every DuckDB thread), joined to its image, its
-- asset and its category.
-- A photo landed under several COCO sources keeps the boxes of one image record only, the
-- one stg_coco__images marks is_primary_record.
with

annotations as (

    select * from {{ ref('stg_coco__annotations') }}

),

images as (

    select * from {{ ref('stg_coco__images') }}
    where is_primary_record

),

categories as (

    select * from {{ ref('stg_coco__categories') }}

),

joined as (

    select
        annotations.annotation_id,
        annotations.coco_image_id,
        images.asset_id,
        annotations.source,
        annotations.category_id,
        categories.category_name,
        categories.supercategory,
        annotations.is_crowd,
        annotations.bbox_x_px,
        annotations.bbox_y_px,
        annotations.bbox_w_px,
        annotations.bbox_h_px,
        annotations.area_px,
        images.width_px as image_width_px,
        images.height_px as image_height_px

    from annotations
    inner join images on images.coco_image_id = annotations.coco_image_id
    inner join categories on categories.category_id = annotations.category_id

),

normalized as (

    select
        *,
        {{ bbox_coco_to_grid_sql(
            'bbox_x_px', 'bbox_y_px', 'bbox_w_px', 'bbox_h_px',
            'image_width_px', 'image_height_px'
        ) }} as grid_box

    from joined

),

final as (

    select
        * exclude (grid_box),
        grid_box.ymin as grid_ymin,
        grid_box.xmin as grid_xmin,
        grid_box.ymax as grid_ymax,
        grid_box.xmax as grid_xmax,
        grid_box.is_collapsed as is_grid_collapsed

    from normalized

)

select * from final
