with

source as (

    select * from {{ ref('chart_kinds') }}

)

select * from source
