{#-
  per_sample_incremental(samples_model='int_samples_templated')

  The config of a per-sample audit model built incrementally: one that turns each sample
  of `samples_model` into rows of its own (sample_id the key) from what that sample's
  `inputs_hash` covers, so that a build after new photos audits only the new samples.

  The model computes, for every sample, `inputs_hash`: md5 of everything its rows are
  made from (the sample's columns it reads, its images' rows in the tables it joins, the
  global tables it reads in full), and keeps that column in its rows. In an incremental
  run (`is_incremental()`) it audits only the samples with no row of the same sample_id
  and inputs_hash; dbt deletes their old rows and inserts the new (`delete+insert` on
  sample_id), and the post-hook deletes the rows of samples `samples_model` no longer
  holds (a takedown, a changed annotation that drops a sample). A model that can give a
  sample no row audits that sample again in every incremental run: cheap when rare.

  The hash also holds the model file's checksum (dbt's `model.checksum`), so a plain
  `dbt build` after the model was edited audits every sample again. A macro or Python
  module the model calls is not in it: after editing one, run `dbt build --full-refresh`.
  `mmfactory build` does that after any change of code or environment
  (mmfactory/rebuild.py): every row is built again, as on the first build.

  with_changed_inputs(relation): the rows of `relation` (a CTE holding sample_id and
  inputs_hash) to audit in this run: all of them, or in an incremental run those whose
  sample_id and inputs_hash no row already built holds.

  table_digest(relation): md5 of a whole small table (a CTE) that every sample's audit
  reads in full, its rows in any order (the vocabulary, the grammar patterns): a scalar
  subquery, for an entry of a sample's inputs_hash.
-#}
{%- macro per_sample_incremental(samples_model='int_samples_templated') -%}
{{ config(
    materialized='incremental',
    unique_key='sample_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where sample_id not in (select sample_id from {{ ref('"
        ~ samples_model ~ "') }})"
) }}
{%- endmacro -%}


{%- macro with_changed_inputs(relation) -%}
select * from {{ relation }}
{%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as built
        where
            built.sample_id = {{ relation }}.sample_id
            and built.inputs_hash = {{ relation }}.inputs_hash
    )
{%- endif -%}
{%- endmacro -%}


{%- macro table_digest(relation) -%}
(select md5(to_json(list_sort(list(to_json(whole))))) from {{ relation }} as whole)
{%- endmacro -%}
