-- Every word a derived chart draws that is not a COCO category name, with its English and
-- Chinese forms: the chart's own terms (units, series, "other") from chart_terms, and the
-- supercategories the pie charts draw, from coco_supercategory_names (the one place their
-- names live; descriptions read the same seed). Supercategory rows carry names only: no
-- singular, series phrase or measure word.
with

chart_terms as (

    select * from {{ ref('stg_seeds__chart_terms') }}

),

supercategories as (

    select * from {{ ref('stg_seeds__coco_supercategory_names') }}

),

supercategory_terms as (

    select
        supercategory as term,
        null::varchar as singular_en,
        supercategory_name_en as plural_en,
        null::varchar as phrase_en,
        supercategory_name_zh as name_zh,
        null::varchar as phrase_zh,
        null::varchar as measure_word_zh

    from supercategories

),

final as (

    select * from chart_terms
    union all by name
    select * from supercategory_terms

)

select * from final
