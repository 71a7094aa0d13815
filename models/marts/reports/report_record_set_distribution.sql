-- Records per record set of the design documents' intermediate files: instruct (basic
-- instructions), alignment (grounding) and interleaved (multi-image); the three are
-- always listed.
with

records as (

    select * from {{ ref('training_records') }}

),

domain as (

    select unnest(['instruct', 'alignment', 'interleaved']) as record_set
    union
    select distinct record_set from records

),

counted as (

    select record_set, count(*) as record_count
    from records
    group by record_set

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        domain.record_set,
        coalesce(counted.record_count, 0) as record_count,
        coalesce(counted.record_count, 0) / nullif(total.record_count, 0) as share

    from domain
    cross join total
    left join counted on counted.record_set = domain.record_set

)

select * from final
order by record_count desc, record_set
