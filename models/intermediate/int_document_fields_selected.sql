-- The askable key fields of readable pool documents (int_document_fields_screened with no
-- refusal rule): label and value in their printed form, the field's role (issuer, date,
-- purpose, total, ...) and Chinese name where the seed document_field_names gives them.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

screened as (

    select * from {{ ref('int_document_fields_screened') }}
    where is_askable

),

selected as (

    select
        screened.asset_id,
        screened.field_index,
        screened.field_name,
        screened.field_value,
        screened.raw_value,
        screened.field_role,
        screened.field_name_zh

    from screened
    inner join documents on documents.asset_id = screened.asset_id

)

select * from selected
