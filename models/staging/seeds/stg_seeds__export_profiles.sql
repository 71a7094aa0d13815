-- One row per trainer export profile (seeds/export_profiles.csv, the one list of
-- profiles): its files, record columns, box convention and the image resize its boxes
-- assume.
with

source as (

    select * from {{ ref('export_profiles') }}

)

select * from source
