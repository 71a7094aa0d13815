-- One row per instruction template, with the hash recorded on every sample built from
-- it and its slot among the templates of the same task, question kind and language.
with

source as (

    select * from {{ ref('instruction_templates') }}

),

hashed as (

    select
        template_id,
        task_type,
        coalesce(question_kind, '') as question_kind,
        language,
        human_turn,
        answer_pattern,
        sha256(concat_ws(
            chr(31), template_id, task_type, coalesce(question_kind, ''), language,
            human_turn, answer_pattern
        )) as template_hash

    from source

),

slotted as (

    select
        *,
        row_number() over (
            partition by task_type, question_kind, language order by template_id
        ) - 1 as template_slot,
        count(*) over (partition by task_type, question_kind, language) as template_slot_count

    from hashed

)

select * from slotted
