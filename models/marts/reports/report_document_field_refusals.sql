-- Document fields per source and refusal rule (null: askable), over the pool's documents:
-- how many fields each askable-field rule removed (int_document_fields_screened).
with

screened as (

    select * from {{ ref('int_document_fields_screened') }}

),

final as (

    select
        source,
        coalesce(refusal_rule, '(askable)') as refusal_rule,
        count(*) as field_count

    from screened
    group by all

)

select * from final
