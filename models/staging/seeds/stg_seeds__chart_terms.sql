with

source as (

    select * from {{ ref('chart_terms') }}

)

select * from source
