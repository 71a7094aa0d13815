{#- Where the warehouse is, decided when dbt executes a node, never while it parses.

    Nothing in models/ or macros/ names the warehouse folder through env_var(): dbt records
    every environment variable a file reads and parses that file (and what depends on it)
    again when the value changes, so a new or copied warehouse re-parsed most of the project
    (5.7 CPU-s of every first dbt run in it). The sources' external_location says
    '@warehouse/landing/...' instead, and `source()` below swaps in the folder of the DuckDB
    file dbt has open, as an absolute path, so that the staging views read the landing by
    absolute path from any folder (lakehouse/relocate.py re-points them after a move). -#}


{#- The folder holding the database file dbt writes (<warehouse>, absolute); '@warehouse'
    while dbt parses. -#}
{% macro warehouse_root() -%}
    {%- if not execute -%}
        {{ return('@warehouse') }}
    {%- endif -%}
    {%- set query -%}
        select parse_dirpath(path) from duckdb_databases() where database_name = current_database()
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{#- dbt's source(), with a landed table's '@warehouse/' replaced by warehouse_root(). -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if execute and relation.external and "'@warehouse/" in relation.external -%}
        {%- set root = warehouse_root() | replace("'", "''") -%}
        {{ return(relation.incorporate(external=relation.external.replace("'@warehouse/", "'" ~ root ~ "/"))) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- True when a landed table has a file (always while dbt parses): a model reading a table
    no step has landed yet selects no rows instead of failing on an empty glob. -#}
{% macro has_landed_files(table_name) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set glob = (warehouse_root() ~ '/landing/' ~ table_name ~ '/*.parquet') | replace("'", "''") -%}
    {{ return(run_query("select count(*) from glob('" ~ glob ~ "')").columns[0].values()[0] > 0) }}
{%- endmacro %}
