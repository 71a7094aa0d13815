-- The trainer export profiles (seeds/export_profiles.csv), one row each: the file suffix,
-- whether a file is one JSON array, the record's columns and the box convention. Which
-- profiles a build writes is var('export_profiles'); this is the list of the known ones.
with

source as (

    select * from {{ ref('export_profiles') }}

),

renamed as (

    select
        export_profile,
        profile_order,
        file_suffix,
        is_json_array,
        record_columns,
        box_convention

    from source

)

select * from renamed
