-- Every landed question->answer link field of a form (stg_documents__fields, origin
-- question_answer_link) with the place of its answer among all the answers linked to the
-- same question entity (key_line_index), in reading order (macro answer_precedes: top to
-- bottom, then left to right by the answer entities' boxes; field_index breaks ties).
-- answer_rank 1 reads first; answer_count is how many answers the question links to.
with

fields as (

    select * from {{ ref('stg_documents__fields') }}
    where field_origin = 'question_answer_link'

),

entities as (

    select * from {{ ref('stg_forms__entities') }}

),

boxed as (

    select
        fields.asset_id,
        fields.field_index,
        fields.key_line_index,
        fields.value_line_index,
        entities.x_px,
        entities.y_px,
        entities.h_px

    from fields
    inner join entities
        on entities.asset_id = fields.asset_id
        and entities.line_index = fields.value_line_index

),

preceded as (

    -- how many answers of the same question read before this one
    select
        answer.asset_id,
        answer.field_index,
        answer.key_line_index,
        answer.value_line_index,
        count(other.field_index) as preceding_count

    from boxed as answer
    left join boxed as other
        on other.asset_id = answer.asset_id
        and other.key_line_index = answer.key_line_index
        and other.field_index <> answer.field_index
        and {{ answer_precedes('other', 'answer') }}
    group by all

),

final as (

    select
        asset_id,
        field_index,
        key_line_index,
        value_line_index,
        row_number() over same_question as answer_rank,
        count(*) over (partition by asset_id, key_line_index) as answer_count

    from preceded
    window same_question as (
        partition by asset_id, key_line_index
        order by preceding_count, field_index
    )

)

select * from final
