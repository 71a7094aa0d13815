with

source as (

    select * from {{ ref('document_field_names') }}

),

renamed as (

    select
        layout,
        lower(field_name) as field_name,
        nullif(role, '') as field_role,
        nullif(name_zh, '') as name_zh

    from source

)

select * from renamed
