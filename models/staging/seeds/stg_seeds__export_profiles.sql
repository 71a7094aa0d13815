-- The trainer export profiles (seeds/export_profiles.csv, the one list of profiles), one
-- row each: the file suffix, whether a file is one JSON array, the record's columns, the
-- box convention (in words and as box_kind, the conversion's name in
-- python_udfs.boxes.CONVENTIONS), the image resize its boxes assume, and whether its folder
-- is a LLaMA-Factory dataset_dir. Which profiles a build writes is var('export_profiles').
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
        box_convention,
        box_kind,
        image_resize,
        is_llamafactory_dataset

    from source

)

select * from renamed
