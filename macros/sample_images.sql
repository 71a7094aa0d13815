{#-
  image_positions(relation, key): one row per image of each row of `relation` (a CTE
  with `key` and source_asset_ids): the key, the image's asset_id and its position in the
  list (from 1). Written as an unnest and generate_subscripts in one select list, which
  DuckDB zips: at 481,000 samples ~15x faster than a lateral `unnest(...) with
  ordinality` (0.05 against 0.78 s; BENCHMARKS.md, issue 12 session 31).
-#}
{%- macro image_positions(relation, key) -%}
select
    {{ relation }}.{{ key }},
    unnest({{ relation }}.source_asset_ids) as asset_id,
    generate_subscripts({{ relation }}.source_asset_ids, 1) as position
from {{ relation }}
{%- endmacro -%}
