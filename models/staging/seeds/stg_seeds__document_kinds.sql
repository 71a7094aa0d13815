with

source as (

    select * from {{ ref('document_kinds') }}

)

select * from source
