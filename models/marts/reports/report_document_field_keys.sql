-- The field keys the delivered document questions ask about: questions per key (lower-cased
-- field name) with its share of all document_qa samples (issue 14: at least 30 distinct keys,
-- none above 15%, so that a model learns to read a page rather than to look for a date).
with

samples as (

    select * from {{ ref('samples') }}
    where task_type = 'document_qa'

),

final as (

    select
        lower(field_name) as field_key,
        count(*) as question_count,
        count(*) / sum(count(*)) over () as share

    from samples
    group by lower(field_name)

)

select * from final
order by question_count desc, field_key asc
