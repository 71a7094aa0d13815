{#- A model-level test: every row satisfies `expression` (we use no dbt packages, so the
    project carries its own instead of dbt_utils.expression_is_true). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
