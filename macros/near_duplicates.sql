{#- near_duplicate_max_bits(): var('near_duplicate_max_distance_bits'), checked. The band
    join of int_asset_near_duplicates_paired is exact for any threshold some layout of
    near_duplicate_band_layouts() covers (0..39 bits: up to 8 bands, radius <= 4 per band);
    a threshold outside it is a compile error, not a silent loss of pairs. -#}
{% macro near_duplicate_max_bits() -%}
    {%- set bits = var('near_duplicate_max_distance_bits') | int -%}
    {%- if bits > 39 or bits < 0 -%}
        {{ exceptions.raise_compiler_error(
            "near_duplicate_max_distance_bits must be 0..39 (got " ~ bits ~ "): the band "
            ~ "join covers at most 8 bands with a radius of 4 bits each") }}
    {%- endif -%}
    {{ bits }}
{%- endmacro %}


{#- near_duplicate_band_layouts(max_bits): the band layouts the near-duplicate join may use
    for threshold t = max_bits, one row per band, as the rows of a VALUES list:
    (layout_id, band_count, band_index, bit_offset, width_bits, left_radius_bits,
     right_radius_bits, key_rows_per_hash, candidate_rate).

    A layout cuts the 64 bits into m bands (2..8, widths as even as possible, the wider
    first) with radii r_i summing to t + 1 - m (at least 0; the wider bands get the
    larger ones). By the generalised pigeonhole principle, sum(r_i + 1) > t means that two
    hashes within t bits differ in at most r_i bits in some band i. A band of radius r is
    joined as r = left + right: every hash contributes its band value with every flip of
    up to `left` bits on one side and up to `right` bits on the other, and two hashes
    within r bits of each other in that band share a key (split the differing bits
    between the sides). Per side at most 2 bits are flipped, so a radius is at most 4.
    Radius 2 is offered both ways (2 + 0: few keys stored, more probed; 1 + 1: fewer keys,
    more candidates); the query picks the cheapest layout for its number of hashes.

    key_rows_per_hash = V(w, left) + V(w, right) and candidate_rate = V(w, left) *
    V(w, right) / 2^w (the chance that two random hashes share a key of the band), with
    V(w, k) = sum over j <= k of C(w, j): the join costs about n * sum(key_rows_per_hash)
    + n^2 / 2 * sum(candidate_rate) for n uniform hashes. -#}
{% macro near_duplicate_band_layouts(max_bits) -%}
    {%- set t = max_bits | int -%}
    {%- set rows = [] -%}
    {%- for band_count in range(2, 9) -%}
        {%- set radius_total = [t + 1 - band_count, 0] | max -%}
        {%- set base_width = 64 // band_count -%}
        {%- set wide_bands = 64 % band_count -%}
        {%- set base_radius = radius_total // band_count -%}
        {%- set large_radii = radius_total % band_count -%}
        {%- set max_radius = base_radius + (1 if large_radii > 0 else 0) -%}
        {%- set splits = ['even'] + (['one_sided'] if max_radius == 2 else []) -%}
        {%- if max_radius <= 4 -%}
            {%- for split in splits -%}
                {%- set layout_id = band_count ~ '_bands_' ~ split -%}
                {%- set offset = namespace(bits=0) -%}
                {%- for band_index in range(band_count) -%}
                    {%- set width = base_width + (1 if band_index < wide_bands else 0) -%}
                    {%- set radius = base_radius + (1 if band_index < large_radii else 0) -%}
                    {%- if split == 'one_sided' and radius <= 2 -%}
                        {%- set left = radius -%}
                    {%- else -%}
                        {%- set left = (radius + 1) // 2 -%}
                    {%- endif -%}
                    {%- set right = radius - left -%}
                    {%- set v_left = 1 + (width if left >= 1 else 0)
                        + (width * (width - 1) // 2 if left >= 2 else 0) -%}
                    {%- set v_right = 1 + (width if right >= 1 else 0)
                        + (width * (width - 1) // 2 if right >= 2 else 0) -%}
                    {%- do rows.append("('" ~ layout_id ~ "', " ~ band_count ~ ", "
                        ~ band_index ~ ", " ~ offset.bits ~ ", " ~ width ~ ", " ~ left ~ ", "
                        ~ right ~ ", " ~ (v_left + v_right) ~ ", "
                        ~ (v_left * v_right) ~ " / " ~ (2 ** width) ~ ".0)") -%}
                    {%- set offset.bits = offset.bits + width -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ rows | join(',\n        ') }}
{%- endmacro %}
