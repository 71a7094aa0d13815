with

source as (

    select * from {{ ref('coco_supercategory_names') }}

),

renamed as (

    select
        supercategory,
        name_en as supercategory_name_en,
        name_zh as supercategory_name_zh

    from source

)

select * from renamed
