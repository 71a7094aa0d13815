{%- set hash_vars = ['packed_max_turns'] -%}
{{ keyed_incremental('packed_record_digests', 'image_path', 'image[1]', vars=hash_vars) }}
-- Multi-turn packing (what LLaVA-1.5's mix does with VQA data): the independent,
-- already-audited single-image samples of one image, packed into one conversation of at
-- most var('packed_max_turns') question-answer turns, so a trainer pays the image's
-- tokens once. The `<image>` placeholder stays only in the first human turn; turns are
-- ordered by a stable hash of the sample id; a record never mixes splits. Profile-
-- independent (canonical conversation form); `sample_ids` names the audited sample of
-- each turn pair, in order.
-- Built incrementally by image: an incremental run packs again only the images whose
-- samples' digest (packed_record_digests) changed, and deletes the records of images that
-- are gone (macros/incremental.sql); every record keeps its image's inputs_hash.

with

hashed as (

    {{ keyed_inputs_hash('packed_record_digests', 'image_path', hash_vars) }}

),

changed_images as (

    {{ changed_keys('hashed', 'image_path', 'image[1]') }}

),

samples as (

    select * from {{ ref('samples') }}
    where image_paths[1] in (select changed_images.image_path from changed_images)

),

single_image as (

    select
        sample_id,
        split,
        is_smoke,
        image_paths[1] as image_path,
        conversations,
        sha256(sample_id) as order_key

    from samples
    where image_count = 1 and len(conversations) = 2

),

numbered as (

    select
        *,
        row_number() over (
            partition by split, image_path order by order_key, sample_id
        ) - 1 as position

    from single_image

),

chunked as (

    select
        *,
        position // {{ var('packed_max_turns') }} as chunk_index,
        position % {{ var('packed_max_turns') }} as turn_index

    from numbered

),

turn_pairs as (

    select
        *,
        case
            when turn_index = 0 then conversations
            else [
                {
                    'from': 'human',
                    'value': replace(conversations[1].value, '<image>' || chr(10), '')
                },
                conversations[2]
            ]
        end as turn_pair

    from chunked

),

packed as (

    select
        split,
        image_path,
        chunk_index,
        list(sample_id order by turn_index) as sample_ids,
        flatten(list(turn_pair order by turn_index)) as conversations,
        bool_or(is_smoke) as has_smoke_sample

    from turn_pairs
    group by split, image_path, chunk_index

),

records as (

    select
        {{ stable_id('p_', "array_to_string(sample_ids, ',')") }} as id,
        [image_path] as image,
        conversations,
        sample_ids,
        len(sample_ids) as sample_count,
        split,
        has_smoke_sample

    from packed

),

final as (

    {{ with_inputs_hash('records', 'image[1]', 'changed_images', 'image_path') }}

)

select * from final
