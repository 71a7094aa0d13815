{#- A model-level test: none of `columns` is NULL in any row. It fails with one row per
    column that has NULLs and how many (`column_name`, `null_rows`).

    Every model lists its NOT NULL columns here, once, instead of a `not_null` test under
    each column: dbt runs each test as its own node, at about 30 ms of dbt's own Python
    apiece whatever the table's size, and the 284 column tests were 20% of a full COCO128
    `dbt build` (BENCHMARKS.md, issue 12 session 13); this scans the model once. -#}
{% test not_null_columns(model, columns) %}

with

null_counts as (

    select
        {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}

),

per_column as (

    unpivot null_counts
    on columns(*)
    into name column_name value null_rows

)

select * from per_column
where null_rows > 0

{% endtest %}
