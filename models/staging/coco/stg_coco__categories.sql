with

source as (

    select * from {{ source('coco', 'categories') }}

),

renamed as (

    select
        source || ':' || category_id as category_id,
        source,
        category_id as source_category_id,
        category_name,
        supercategory,
        ingested_at

    from source

)

select * from renamed
