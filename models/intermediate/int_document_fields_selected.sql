-- The key fields of readable pool documents that make a natural statement or question:
-- name and value as written (a trailing ':' dropped), short enough to read back. Fields
-- keyed by an object category (inventory lines) and the asset hash are left out.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

fields as (

    select * from {{ ref('stg_documents__fields') }}

),

categories as (

    select category_name from {{ ref('stg_seeds__coco_category_names') }}

),

named as (

    select
        fields.asset_id,
        fields.field_index,
        rtrim(trim(fields.field_key), ':') as field_name,
        trim(fields.field_value) as field_value

    from fields
    inner join documents on documents.asset_id = fields.asset_id

),

selected as (

    select *
    from named
    where
        length(field_value) between 1 and 80
        and length(field_name) between 2 and 40
        and lower(field_name) not in (select category_name from categories)
        and field_name <> 'Asset'

)

select * from selected
