-- Grounding box sizes in the delivered dataset: a histogram of the box's share of the image
-- area ((ymax - ymin) * (xmax - xmin) / 1000^2 on the 0..1000 grid), in fixed buckets,
-- with the smallest side (grid units) per bucket. Empty buckets are listed.
with

records as (

    select * from {{ ref('training_records') }}
    where task_type = 'region_grounding'

),

samples as (

    select * from {{ ref('samples') }}

),

boxes as (

    select
        samples.sample_id,
        (samples.grid_ymax - samples.grid_ymin)
        * (samples.grid_xmax - samples.grid_xmin)
        / 1000000.0
            as area_share,
        least(samples.grid_ymax - samples.grid_ymin, samples.grid_xmax - samples.grid_xmin)
            as min_side_grid

    from records
    inner join samples on samples.sample_id = records.id

),

buckets as (

    select bounds.* from (
        values
        (1, 0.0, 0.01, '<1%'),
        (2, 0.01, 0.025, '1-2.5%'),
        (3, 0.025, 0.05, '2.5-5%'),
        (4, 0.05, 0.1, '5-10%'),
        (5, 0.1, 0.2, '10-20%'),
        (6, 0.2, 0.4, '20-40%'),
        (7, 0.4, 0.6, '40-60%'),
        (8, 0.6, 0.8, '60-80%'),
        (9, 0.8, 1.0000001, '80-100%')
    ) as bounds (bucket, lower_share, upper_share, label)

),

total as (

    select count(*) as box_count from boxes

),

final as (

    select
        buckets.bucket,
        buckets.label,
        cast(buckets.lower_share as double) as lower_share,
        cast(least(buckets.upper_share, 1.0) as double) as upper_share,
        count(boxes.sample_id) as record_count,
        count(boxes.sample_id) / nullif(any_value(total.box_count), 0) as share,
        min(boxes.min_side_grid) as smallest_side_grid

    from buckets
    cross join total
    left join boxes
        on boxes.area_share >= buckets.lower_share and boxes.area_share < buckets.upper_share
    group by all

)

select * from final
order by bucket
