with

source as (

    select * from {{ source('generation', 'translations') }}

),

renamed as (

    select
        sample_id,
        translation_hash,
        source_language,
        target_language,
        model,
        conversations,
        has_numbers_preserved,
        has_boxes_preserved,
        has_placeholders_preserved,
        has_names_preserved,
        is_passed,
        translated_at

    from source

)

select * from renamed
