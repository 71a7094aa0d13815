-- Near-duplicate asset pairs: 64-bit pHashes within var('near_duplicate_max_distance_bits')
-- bits, found by a band (LSH) join instead of comparing every pair. Each hash is cut into
-- 4 bands of 16 bits. A pair within t <= 7 bits has at least one band differing in <= 1 bit
-- (pigeonhole: 4 bands, 7 bits), so one side's bands are expanded into 17 probes (the
-- band itself and its 16 one-bit flips) and equi-joined on (band_index, band_value) with
-- the other side's bands; every candidate is then verified on the whole hash with
-- bit_count(xor(a, b)). With t <= 3 some band is equal and no probes are needed. Work: 68
-- probe rows per hash (4 without probes) plus the candidates, ~n^2 * 68 / 2^17 for uniform
-- hashes (~n^2 / 2^15 without probes): linear while that stays below n (BENCHMARKS.md).
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

band_indexes as (

    select unnest(range(4)) as band_index

),

-- up to 3 bits a band is equal (pigeonhole): no probes, the plain equi-join suffices
flips as (

    select unnest(range(-1, {{ 16 if near_duplicate_max_bits() | int > 3 else 0 }}))
        as flipped_bit

),

eligible as (

    select
        perceptual_hashes.asset_id,
        perceptual_hashes.phash,
        perceptual_hashes.dhash

    from perceptual_hashes
    inner join assets on assets.asset_id = perceptual_hashes.asset_id
    where
        assets.asset_type in (select paired_types.asset_type from paired_types)
        and perceptual_hashes.asset_id not in (select lineage.asset_id from lineage)

),

bands as (

    select
        asset_id,
        phash,
        dhash,
        band_index,
        (phash >> (16 * band_index)::ubigint) & 65535::ubigint as band_value

    from eligible
    cross join band_indexes

),

probes as (

    select
        bands.asset_id,
        bands.phash,
        bands.dhash,
        bands.band_index,
        case
            when flips.flipped_bit < 0 then bands.band_value
            else xor(bands.band_value, 1::ubigint << flips.flipped_bit::ubigint)
        end as band_value

    from bands
    cross join flips

),

candidates as (

    select
        probes.asset_id,
        bands.asset_id as near_duplicate_asset_id,
        bit_count(xor(probes.phash, bands.phash)) as phash_distance_bits,
        bit_count(xor(probes.dhash, bands.dhash)) as dhash_distance_bits

    from probes
    inner join bands
        on bands.band_index = probes.band_index
        and bands.band_value = probes.band_value
        and bands.asset_id > probes.asset_id

),

-- verified on the whole hash before deduplicating (a pair close in several bands is
-- found once per band)
verified as (

    select distinct
        asset_id,
        near_duplicate_asset_id,
        phash_distance_bits,
        dhash_distance_bits

    from candidates
    where phash_distance_bits <= {{ near_duplicate_max_bits() }}

),

final as (

    select
        {{ stable_id('ndp_', "asset_id || ':' || near_duplicate_asset_id") }}
            as near_duplicate_pair_id,
        asset_id,
        near_duplicate_asset_id,
        phash_distance_bits::integer as phash_distance_bits,
        dhash_distance_bits::integer as dhash_distance_bits

    from verified

)

select * from final
