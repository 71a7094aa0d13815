{#- The failure-library recording of the `mmfactory build` running this dbt process: the run
    id and time it lands this build's new failures under, right after dbt
    (quality.failure_library.record_failures). They come from dbt's metadata variables,
    DBT_ENV_CUSTOM_ENV_MMFACTORY_FAILURE_RUN_ID and ..._RECORDED_AT: dbt reads those when it
    executes a node, never while it parses (a value that changes every build costs no
    re-parse, where env_var() would), and writes them into run_results.json. None in a plain
    `dbt build`, which records nothing. -#}
{% macro failure_recording() -%}
    {%- set run_id = dbt_metadata_envs.get('MMFACTORY_FAILURE_RUN_ID') -%}
    {%- set recorded_at = dbt_metadata_envs.get('MMFACTORY_FAILURE_RECORDED_AT') -%}
    {%- if run_id and recorded_at -%}
        {{ return({'run_id': run_id | replace("'", "''"),
                   'recorded_at': recorded_at | replace("'", "''")}) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
