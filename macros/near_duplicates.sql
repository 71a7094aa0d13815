{#- near_duplicate_max_bits(): var('near_duplicate_max_distance_bits'), checked. The band
    join of int_asset_near_duplicates_paired (4 bands of 16 bits, one-bit probes) is exact
    only up to 7 bits: a larger threshold is a compile error, not a silent loss of pairs. -#}
{% macro near_duplicate_max_bits() -%}
    {%- set bits = var('near_duplicate_max_distance_bits') | int -%}
    {%- if bits > 7 or bits < 0 -%}
        {{ exceptions.raise_compiler_error(
            "near_duplicate_max_distance_bits must be 0..7 (got " ~ bits ~ "): the 4-band "
            ~ "join with one-bit probes is exact only up to 7 bits") }}
    {%- endif -%}
    {{ bits }}
{%- endmacro %}
