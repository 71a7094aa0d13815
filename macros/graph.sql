{#- The connected components of an undirected graph, as the body of a recursive CTE keyed
    by asset: `nodes` is a relation with one `asset_id` per node, `edges` one with
    `from_asset_id` / `to_asset_id` in both directions. Every node ends with the smallest
    asset id of its component in `label`. Min-label propagation with USING KEY: each round
    joins only the labels that changed with the edges, so a round costs O(edges) and the
    rounds are the longest shortest path in a component. Use as
    `components(asset_id, <label>) using key (asset_id) as ({{ connected_components(...) }})`
    inside `with recursive`. -#}
{% macro connected_components(nodes, edges, label) -%}
    select asset_id, asset_id from {{ nodes }}

    union

    select {{ edges }}.to_asset_id, min(components.{{ label }})
    from components
    inner join {{ edges }} on {{ edges }}.from_asset_id = components.asset_id
    inner join recurring.components as previous on previous.asset_id = {{ edges }}.to_asset_id
    where components.{{ label }} < previous.{{ label }}
    group by {{ edges }}.to_asset_id
{%- endmacro %}
