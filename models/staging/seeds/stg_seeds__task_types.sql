-- The task types (seeds/task_types.csv), one row each: the asset type it is asked of, the
-- record set of the design documents' intermediate files its records belong to
-- (instruct, alignment, interleaved) and whether CHAIR checks its answers.
with

source as (

    select * from {{ ref('task_types') }}

),

renamed as (

    select
        task_type,
        task_order,
        asset_type,
        record_set,
        is_chair_checked,
        description

    from source

)

select * from renamed
