with

source as (

    select * from {{ source('coco', 'licenses') }}

),

renamed as (

    select
        source || ':' || license_id as license_id,
        source,
        license_id as source_license_id,
        license_name,
        license_url,
        ingested_at

    from source

)

select * from renamed
