{#- Deterministic, version-stable pseudo-random numbers derived from a key.
    DuckDB's hash() may change between releases; md5 does not, so splits, template
    choices and pair selections stay the same across rebuilds and upgrades. -#}

{#- A number in [0, 1) from `key`. -#}
{% macro stable_fraction(key) -%}
((md5_number_lower(cast({{ key }} as varchar)) % 1000000) / 1000000.0)
{%- endmacro %}

{#- An integer in [0, n) from `key`. -#}
{% macro stable_pick(key, n) -%}
(md5_number_lower(cast({{ key }} as varchar)) % cast({{ n }} as ubigint))
{%- endmacro %}

{#- A short, stable id: prefix + the first 20 hex digits of sha256(key). -#}
{% macro stable_id(prefix, key) -%}
('{{ prefix }}' || left(sha256(cast({{ key }} as varchar)), 20))
{%- endmacro %}
