-- The error types of the failure taxonomy (seeds/error_types.csv), one row each: every
-- failed audit check and every reviewer reject is filed under one of them.
with

source as (

    select * from {{ ref('error_types') }}

),

renamed as (

    select
        error_type,
        error_order,
        description

    from source

)

select * from renamed
