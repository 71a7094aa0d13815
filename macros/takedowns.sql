{#- Takedown filters for the staging models (see models/intermediate/int_assets_taken_down.sql).
    not_taken_down(column): the row's asset (a sha256) is not taken down, nor derived from one.
    none_taken_down(column): no asset of the row's list of asset ids is. -#}

{% macro not_taken_down(column) -%}
    {{ column }} not in (select asset_id from {{ ref('int_assets_taken_down') }})
{%- endmacro %}

{% macro none_taken_down(column) -%}
    not list_has_any(
        coalesce({{ column }}, []::varchar[]),
        (select coalesce(list(asset_id), []::varchar[]) from {{ ref('int_assets_taken_down') }})
    )
{%- endmacro %}
