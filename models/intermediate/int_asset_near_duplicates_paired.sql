-- Near-duplicate asset pairs: 64-bit pHashes within var('near_duplicate_max_distance_bits')
-- bits, found by a multi-index band join instead of comparing every pair. The hash is cut
-- into m bands with radii r_i, sum(r_i + 1) > t, so a pair within t bits differs in at
-- most r_i bits in some band i (generalised pigeonhole). Each band of radius r is joined
-- on keys: the band value with every flip of up to `left` bits on one side and up to
-- `right` bits (left + right = r) on the other; a pair within r bits in the band shares a
-- key. Every candidate is then verified on the whole hash with bit_count(xor(a, b)).
-- The layout (2..8 bands, macro near_duplicate_band_layouts) is picked per run from the
-- number of hashes n, as the least 4 * n * key rows + n^2 / 2 * candidate rate: few wide
-- bands for many hashes (3 bands of 22/21/21 bits with radii 2/2/1 from ~490k hashes at
-- t = 7), many narrow ones for a few; var('near_duplicate_band_layout') forces one
-- ('': by cost). The work per hash still grows slowly with n (BENCHMARKS.md).
-- Only original assets of var('near_duplicate_asset_types') are paired: derived renders
-- are tied to their photos by lineage and share templates, so their pHashes collide
-- without being copies.
with

perceptual_hashes as (

    select * from {{ ref('stg_landing__perceptual_hashes') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

lineage as (

    select * from {{ ref('stg_landing__asset_lineage') }}

),

paired_types as (

    select unnest({{ var('near_duplicate_asset_types') }}) as asset_type

),

-- one row per band of every layout (values columns are col0, col1, ...)
layout_bands as (

    select
        col0 as layout_id,
        col1 as band_count,
        col2 as band_index,
        col3 as bit_offset,
        col4 as width_bits,
        col5 as left_radius_bits,
        col6 as right_radius_bits,
        col7 as key_rows_per_hash,
        col8 as candidate_rate

    from (
        values
        {{ near_duplicate_band_layouts(near_duplicate_max_bits()) }}
    )

),

-- every flip of 0, 1 or 2 bits: (-1, -1) none, (-1, j) bit j, (i, j) bits i < j
bit_indexes as (

    select unnest(range(-1, 64)) as bit_index

),

flips as (

    select
        (low.bit_index >= 0)::integer + (high.bit_index >= 0)::integer as flipped_bits,
        high.bit_index as high_bit_index,
        (case when low.bit_index >= 0 then 1::ubigint << low.bit_index::ubigint else 0 end)
        | (case when high.bit_index >= 0 then 1::ubigint << high.bit_index::ubigint else 0 end)
            as flip_mask

    from bit_indexes as low
    inner join bit_indexes as high
        on
        high.bit_index > low.bit_index
        or (low.bit_index = -1 and high.bit_index = -1)

),

eligible as (

    select
        perceptual_hashes.asset_id,
        perceptual_hashes.phash,
        perceptual_hashes.dhash,
        row_number() over (order by perceptual_hashes.asset_id) as hash_index

    from perceptual_hashes
    inner join assets on assets.asset_id = perceptual_hashes.asset_id
    where
        assets.asset_type in (select paired_types.asset_type from paired_types)
        and perceptual_hashes.asset_id not in (select lineage.asset_id from lineage)

),

hash_counts as (

    select count(*)::double as hash_count from eligible

),

layout_costs as (

    select
        layout_bands.layout_id,
        -- a key row (built, flipped, hashed) costs about 4 candidates (BENCHMARKS.md)
        4 * any_value(hash_counts.hash_count) * sum(layout_bands.key_rows_per_hash)
        + any_value(hash_counts.hash_count) ^ 2 / 2 * sum(layout_bands.candidate_rate)
            as estimated_cost

    from layout_bands
    cross join hash_counts
    where
        layout_bands.layout_id
        = '{{ var('near_duplicate_band_layout') }}'
        or '{{ var('near_duplicate_band_layout') }}' = ''
    group by layout_bands.layout_id

),

chosen_bands as (

    select layout_bands.*
    from layout_bands
    where layout_bands.layout_id = (
        select layout_costs.layout_id
        from layout_costs
        order by layout_costs.estimated_cost, layout_costs.layout_id
        limit 1
    )

),

-- the flips of each side of each band (small: a few hundred rows)
side_flips as (

    select
        chosen_bands.band_index,
        sides.side,
        flips.flip_mask

    from chosen_bands
    cross join (values ('left'), ('right')) as sides (side)
    inner join flips
        on
        flips.flipped_bits <= case
            when sides.side = 'left' then chosen_bands.left_radius_bits
            else chosen_bands.right_radius_bits
        end
        and flips.high_bit_index < chosen_bands.width_bits

),

band_values as (

    select
        eligible.hash_index,
        eligible.phash,
        chosen_bands.band_index,
        -- the band's bits, tagged with the band index above them (one join key)
        (chosen_bands.band_index::ubigint << 32)
        | (
            (eligible.phash >> chosen_bands.bit_offset::ubigint)
            & ((1::ubigint << chosen_bands.width_bits::ubigint) - 1)
        ) as band_value

    from eligible
    cross join chosen_bands

),

left_keys as (

    select
        band_values.hash_index,
        band_values.phash,
        band_values.band_index,
        xor(band_values.band_value, side_flips.flip_mask) as band_key

    from band_values
    inner join side_flips
        on side_flips.band_index = band_values.band_index and side_flips.side = 'left'

),

right_keys as (

    select
        band_values.hash_index,
        band_values.phash,
        band_values.band_index,
        xor(band_values.band_value, side_flips.flip_mask) as band_key

    from band_values
    inner join side_flips
        on side_flips.band_index = band_values.band_index and side_flips.side = 'right'

),

-- verified on the whole hash before deduplicating (a pair is found once per shared key)
verified as (

    select distinct
        left_keys.hash_index,
        right_keys.hash_index as near_duplicate_hash_index

    from left_keys
    inner join right_keys
        on
        right_keys.band_key = left_keys.band_key
        and right_keys.hash_index > left_keys.hash_index
    where bit_count(xor(left_keys.phash, right_keys.phash)) <= {{ near_duplicate_max_bits() }}

),

final as (

    select
        {{ stable_id('ndp_', "eligible.asset_id || ':' || near_duplicates.asset_id") }}
            as near_duplicate_pair_id,
        eligible.asset_id,
        near_duplicates.asset_id as near_duplicate_asset_id,
        bit_count(xor(eligible.phash, near_duplicates.phash))::integer as phash_distance_bits,
        bit_count(xor(eligible.dhash, near_duplicates.dhash))::integer as dhash_distance_bits

    from verified
    inner join eligible on eligible.hash_index = verified.hash_index
    inner join eligible as near_duplicates
        on near_duplicates.hash_index = verified.near_duplicate_hash_index

)

select * from final
