with

source as (

    select * from {{ source('landing', 'assets') }}

),

located as (

    select
        asset_id,
        source,
        relative_path,
        row_number() over (partition by asset_id order by source, relative_path) = 1
            as is_primary_location

    from source

)

-- a taken-down asset has no location either (macros/takedowns.sql)
select * from located
where {{ not_taken_down('asset_id') }}
