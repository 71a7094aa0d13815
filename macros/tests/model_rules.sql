{#- A model-level test: a model's own rules, checked in one scan of it.

    not_null            none of these columns is NULL in any row;
    unique              no two rows share a non-NULL value of each of these columns (dbt's
                        `unique`, one column at a time);
    accepted_values     {column: [values]}: every non-NULL value of the column is one of
                        these (dbt's `accepted_values`, the values quoted as strings);
    unique_combination  [[columns], ...]: no two rows share the values of these columns
                        (NULLs equal, as GROUP BY groups them);
    expressions         [SQL, ...]: no row makes the expression false.

    It fails with one row per broken rule: `rule`, `rule_on` (the column, the columns
    joined by ", ", or the expression) and `failing_rows` (the rows that are NULL, that
    repeat an earlier row's value, that hold another value, or that make the expression
    false).

    Every model lists its rules here, once, instead of a `not_null`, `unique`,
    `accepted_values`, `unique_combination` or `expression_is_true` test each: dbt runs each
    test as its own node, at about 30 ms of dbt's own Python apiece whatever the table's
    size (BENCHMARKS.md, issue 12 sessions 13 and 22). Rules that need a config of their own
    (a `where`, a `severity: warn`) go in a second `model_rules` test with that config;
    tests that read another model (`relationships`) stay tests of their own. -#}
{% test model_rules(model, not_null=[], unique=[], accepted_values={}, unique_combination=[],
                    expressions=[]) %}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append(('not_null', column,
        'count(*) filter (where ' ~ adapter.quote(column) ~ ' is null)')) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do rules.append(('unique', column,
        'count(' ~ adapter.quote(column) ~ ') - count(distinct ' ~ adapter.quote(column) ~ ')')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- do rules.append(('accepted_values', column,
        'count(*) filter (where ' ~ adapter.quote(column) ~ ' not in (' ~ quoted | join(', ') ~ '))')) -%}
{%- endfor -%}
{%- for columns in unique_combination -%}
    {%- set quoted = [] -%}
    {%- for column in columns -%}
        {%- do quoted.append(adapter.quote(column)) -%}
    {%- endfor -%}
    {%- do rules.append(('unique_combination', columns | join(', '),
        'count(*) - count(distinct row(' ~ quoted | join(', ') ~ '))')) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- do rules.append(('expression', expression,
        'count(*) filter (where not (' ~ expression ~ '))')) -%}
{%- endfor -%}

with

rule_counts as (

    select [
        {%- for rule, rule_on, failing in rules %}
        {
            'rule': '{{ rule }}',
            'rule_on': '{{ rule_on | replace("'", "''") }}',
            'failing_rows': {{ failing }}
        }{% if not loop.last %},{% endif %}
        {%- endfor %}
    ] as rules
    from {{ model }}

),

per_rule as (

    select unnest(rules, recursive := true)
    from rule_counts

)

select *
from per_rule
where failing_rows > 0

{% endtest %}
