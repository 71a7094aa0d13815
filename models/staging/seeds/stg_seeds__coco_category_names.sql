with

source as (

    select * from {{ ref('coco_category_names') }}

),

renamed as (

    select
        category_name,
        singular_en as category_name_singular_en,
        plural_en as category_name_plural_en,
        name_zh as category_name_zh,
        measure_word_zh

    from source

)

select * from renamed
