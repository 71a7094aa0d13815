{{ config(materialized='view') }}
-- Every candidate sample of every task model, in one shape (union by name: a column one
-- task lacks is null): what int_sample_inputs_hashed digests and int_samples_templated
-- templates. The task models' own inputs_hash is left out: it is not part of the sample.
-- A view: its two readers read it once each, and int_samples_templated only the samples
-- whose digest changed.
with

description as (

    select * exclude (inputs_hash) from {{ ref('int_description_samples_derived') }}

),

counting as (

    select * exclude (inputs_hash) from {{ ref('int_counting_samples_derived') }}

),

grounding as (

    select * exclude (inputs_hash) from {{ ref('int_grounding_samples_derived') }}

),

comparison as (

    select * from {{ ref('int_comparison_samples_derived') }}

),

ocr_summary as (

    select * from {{ ref('int_ocr_summary_samples_derived') }}

),

document_qa as (

    select * from {{ ref('int_document_qa_samples_derived') }}

),

chart_reading as (

    select * from {{ ref('int_chart_samples_derived') }}

),

unioned as (

    select * from description
    union all by name
    select * from counting
    union all by name
    select * from grounding
    union all by name
    select * from comparison
    union all by name
    select * from ocr_summary
    union all by name
    select * from document_qa
    union all by name
    select * from chart_reading

)

select * from unioned
