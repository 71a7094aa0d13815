-- Every form entity's text rebuilt from its words' boxes, as the page prints it. A form
-- annotation joins an entity's words with spaces, so "10/03/96" printed as three touching
-- word boxes lands as "10/ 03/ 96". Two consecutive words of an entity are joined without
-- a space when they sit on the same row (centres less than half a line height apart), the
-- gap between their boxes is below var('form_word_glue_fraction') of the line height, and
-- the join is inside a token: one side is a '-' or '/' connector, or a digit followed by
-- '.', ',' or ':' meets a digit. Two words of letters always keep their space (box gaps
-- between real words are often below zero on scans). When the words do not spell the
-- entity's text (spaces aside) the text is kept as annotated. raw_text is the annotation;
-- word_height_px the mean height of its words (its type size).
with

entities as (

    select * from {{ ref('stg_forms__entities') }}

),

words as (

    select * from {{ ref('stg_documents__words') }}
    where trim(text) <> ''

),

neighboured as (

    select
        asset_id,
        line_index,
        word_in_line_index,
        trim(text) as word_text,
        x_px,
        y_px + h_px / 2 as mid_y_px,
        h_px,
        lag(trim(text)) over by_entity as previous_text,
        lag(x_px + w_px) over by_entity as previous_right_px,
        lag(y_px + h_px / 2) over by_entity as previous_mid_y_px,
        lag(h_px) over by_entity as previous_h_px

    from words
    window by_entity as (partition by asset_id, line_index order by word_in_line_index)

),

separated as (

    select
        *,
        case
            when previous_text is null then ''
            when
                abs(mid_y_px - previous_mid_y_px) < 0.5 * greatest(h_px, previous_h_px)
                and x_px - previous_right_px
                < {{ var('form_word_glue_fraction') }} * greatest(h_px, previous_h_px)
                and (
                    regexp_matches(previous_text, '[-/]$')
                    or regexp_matches(word_text, '^[-/]')
                    or (
                        regexp_matches(previous_text, '[0-9][.,:]$')
                        and regexp_matches(word_text, '^[0-9]')
                    )
                )
                then ''
            else ' '
        end as separator

    from neighboured

),

rebuilt as (

    select
        asset_id,
        line_index,
        string_agg(separator || word_text, '' order by word_in_line_index) as words_text,
        avg(h_px) as word_height_px

    from separated
    group by asset_id, line_index

),

final as (

    select
        entities.asset_id,
        entities.source,
        entities.entity_id,
        entities.line_index,
        entities.label,
        entities.text as raw_text,
        case
            when
                rebuilt.words_text is not null
                and {{ compact('rebuilt.words_text') }} = {{ compact('entities.text') }}
                then rebuilt.words_text
            else trim(entities.text)
        end as text,
        rebuilt.word_height_px

    from entities
    left join rebuilt
        on rebuilt.asset_id = entities.asset_id
        and rebuilt.line_index = entities.line_index

)

select * from final
