{#- A model-level test: a model's column rules, checked in one scan.

    not_null         none of these columns is NULL in any row;
    unique           no two rows share a non-NULL value of each of these columns (dbt's
                     `unique`, one column at a time);
    accepted_values  {column: [values]}: every non-NULL value of the column is one of these
                     (dbt's `accepted_values`, values quoted as strings).

    It fails with one row per broken rule and column: `rule`, `column_name` and
    `failing_rows` (the rows that are NULL / the rows beyond a value's first / the rows
    with another value).

    Every model lists its rules here, once, instead of a `not_null`, `unique` or
    `accepted_values` test under each column: dbt runs each test as its own node, at about
    30 ms of dbt's own Python apiece whatever the table's size (BENCHMARKS.md, issue 12
    sessions 13 and 22); this scans the model once. -#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}) %}

with

rule_counts as (

    select
        {%- for column in not_null %}
        count(*) filter (where {{ adapter.quote(column) }} is null)
            as {{ adapter.quote('not_null:' ~ column) }},
        {%- endfor %}
        {%- for column in unique %}
        count({{ adapter.quote(column) }}) - count(distinct {{ adapter.quote(column) }})
            as {{ adapter.quote('unique:' ~ column) }},
        {%- endfor %}
        {%- for column, values in accepted_values.items() %}
        count(*) filter (where {{ adapter.quote(column) }} not in (
            {%- for value in values -%}
            '{{ value | string | replace("'", "''") }}'{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        )) as {{ adapter.quote('accepted_values:' ~ column) }},
        {%- endfor %}
        count(*) as row_count
    from {{ model }}

),

per_rule as (

    unpivot (select * exclude (row_count) from rule_counts)
    on columns(*)
    into name rule_column value failing_rows

)

select
    split_part(rule_column, ':', 1) as rule,
    split_part(rule_column, ':', 2) as column_name,
    failing_rows
from per_rule
where failing_rows > 0

{% endtest %}
