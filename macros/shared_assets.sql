{#- The same bytes landed under several sources (FUNSD landed twice under two names, a
    second dataset that shares another's pages, charts or photos) are one asset: its first
    location by source, then path (stg_landing__assets). A staging model of what a source
    says about an asset (its text, fields, lines, chart table, OCR) keeps what the asset's
    first source by name says, in a `qualify` after the model's `where`: the same page's
    fields twice would be two answers to one question (and fail the unique tests).
    For COCO boxes the same choice is stg_coco__images.is_primary_record. -#}

{% macro first_source_of_asset(asset_column='asset_id') -%}
    qualify source = min(source) over (partition by {{ asset_column }})
{%- endmacro %}
