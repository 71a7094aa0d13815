{{ per_sample_incremental() }}
{#- The grammar patterns (int_grammar_patterns_built) go into the SQL as constants, read
    when the model runs: DuckDB compiles a constant pattern once, a column pattern once per
    row (80,000 texts at 10,000 photos: 52 s as columns). In a unit test, and before the
    patterns are built (dbt compile on an empty warehouse), or when they read as no row
    (`dbt build --empty`), they stay columns. -#}
{%- set pattern_names = ['one_before_plural_pattern', 'other_before_singular_pattern',
    'plural_subject_pattern', 'singular_subject_pattern', 'does_plural_pattern'] -%}
{%- set patterns_relation = ref('int_grammar_patterns_built') -%}
{%- set inline = execute and model.resource_type != 'unit_test'
    and load_relation(patterns_relation) is not none -%}
{%- set pattern_rows = run_query('select * from ' ~ patterns_relation).rows if inline else [] -%}
{%- set inline = pattern_rows | length > 0 -%}
{%- set row = pattern_rows[0] if inline else none -%}
{%- set grammar = {} -%}
{%- for name in pattern_names -%}
{%- set literal = ("'" ~ (row[name] | replace("'", "''")) ~ "'") if inline else name -%}
{%- do grammar.update({name: literal}) -%}
{%- endfor %}
-- The language audits of every candidate sample's question and answer text.
--
-- grammar_agreement (English samples): a number right before a noun that disagrees with
-- it ("1 objects", "one cars", "2 cat", "3 pair of skis"), a number before the axis label
-- "count" ("12 count"), a definite subject whose verb disagrees ("the skis is", "the cat
-- are"; not after "and", "or", "of", "with": "the dog and the cat are") and "does" before
-- a plural ("how does objects change"): the patterns of int_grammar_patterns_built (the
-- category vocabulary and the templates' unit nouns; a form that is both singular and
-- plural, "sheep", "series", is never flagged). Text in quotes, and an answer that is
-- itself text the image shows (a value read off a receipt), are the document's words,
-- not ours, and are not checked.
--
-- language_mixing (Chinese samples): Latin letters may appear only inside 「」 or “”
-- quotes, and a quoted span with Latin letters must be text an image of the sample shows:
-- lower-cased and without whitespace, it must occur in int_asset_visible_texts.visible_key
-- (the document's ground-truth and OCR text, the chart's title, labels and ticks). Two
-- exceptions: the box-format notation "[ymin, xmin, ymax, xmax]" of grounding questions,
-- and an answer that in its entirety is visible text (an extractive answer, "T. D.
-- Blachly"). Units, category names and connective words are Chinese, so any other Latin
-- word fails the sample.
with

templated as (

    select * from {{ ref('int_samples_templated') }}

),

visible_texts as (

    select * from {{ ref('int_asset_visible_texts') }}

),

patterns as (

    select * from {{ ref('int_grammar_patterns_built') }}

),

sample_visible as (

    -- sorted, so that the same texts give the same key (and inputs_hash) in every build
    select
        templated.sample_id,
        coalesce(array_to_string(list_sort(
            list(visible_texts.visible_key) filter (where visible_texts.visible_key is not null)
        ), chr(10)), '') as visible_key

    from templated
    cross join unnest(templated.source_asset_ids) as source_asset (asset_id)
    left join visible_texts on visible_texts.asset_id = source_asset.asset_id
    group by templated.sample_id

),

hashed as (

    -- everything a sample's audit reads: its texts and language, the visible texts of
    -- its images and the grammar patterns
    select
        templated.*,
        coalesce(sample_visible.visible_key, '') as visible_key,
        md5(hash({
            'language': templated.language,
            'question_text': templated.question_text,
            'answer_text': templated.answer_text,
            'visible_key': coalesce(sample_visible.visible_key, ''),
            'patterns': {{ table_digest('patterns') }},
            'code': '{{ model.checksum.checksum }}'
        })::varchar) as inputs_hash

    from templated
    left join sample_visible on sample_visible.sample_id = templated.sample_id

),

samples as (

    {{ with_changed_inputs('hashed') }}

),

text_parts as (

    select
        sample_id,
        language,
        visible_key,
        'question' as part,
        question_text as text
    from samples
    union all
    select
        sample_id,
        language,
        visible_key,
        'answer' as part,
        answer_text as text
    from samples

),

texts as (

    select
        text_parts.*,
        text_parts.part = 'answer'
        and contains(
            text_parts.visible_key,
            regexp_replace(lower(text_parts.text), '\s+', '', 'g')
        )
        and not regexp_matches(text_parts.text, '\p{Han}') as is_extractive_answer

    from text_parts
    where nullif(trim(text_parts.text), '') is not null

),

english as (

    select
        texts.sample_id,
        texts.part,
        -- quoted text is the document's, not ours
        regexp_replace(texts.text, '"[^"]*"|“[^”]*”|「[^」]*」', '""', 'g') as text,
        patterns.*

    from texts
    cross join patterns
    where texts.language = 'en' and not texts.is_extractive_answer

),

english_matches as (

    select
        sample_id,
        part,
        list_concat(
            regexp_extract_all(text, {{ grammar.one_before_plural_pattern }}, 1),
            regexp_extract_all(text, {{ grammar.other_before_singular_pattern }}, 1),
            regexp_extract_all(text, '(?i)(?:^|[^\w.,/:-])(\d+\s+counts?)\b', 1),
            list_filter(
                regexp_extract_all(text, {{ grammar.plural_subject_pattern }}),
                lambda m: not regexp_matches(m, '(?i)^(and|or|nor|of|with)\s')
            ),
            list_filter(
                regexp_extract_all(text, {{ grammar.singular_subject_pattern }}),
                lambda m: not regexp_matches(m, '(?i)^(and|or|nor|of|with)\s')
            ),
            regexp_extract_all(text, {{ grammar.does_plural_pattern }}, 1)
        ) as disagreements

    from english

),

chinese as (

    select
        sample_id,
        part,
        visible_key,
        is_extractive_answer,
        -- the box-format notation of grounding questions is not a word
        regexp_replace(
            text,
            '\[\s*[xy](?:min|max|[12])(?:\s*,\s*[xy](?:min|max|[12])){3}\s*\]',
            '',
            'g'
        ) as text

    from texts
    where language = 'zh'

),

chinese_spans as (

    select
        sample_id,
        part,
        visible_key,
        is_extractive_answer,
        list_concat(
            regexp_extract_all(text, '「([^」]*)」', 1),
            regexp_extract_all(text, '“([^”]*)”', 1)
        ) as quoted_spans,
        regexp_replace(text, '「[^」]*」|“[^”]*”', ' ', 'g') as unquoted_text

    from chinese

),

chinese_matches as (

    select
        sample_id,
        part,
        case
            when is_extractive_answer then []
            else regexp_extract_all(
                unquoted_text, '[A-Za-z][A-Za-z0-9]*(?:[ .,&''/-]+[A-Za-z0-9]+)*'
            )
        end as unquoted_latin,
        list_filter(
            quoted_spans,
            lambda span: regexp_matches(span, '[A-Za-z]')
            and not contains(visible_key, regexp_replace(lower(span), '\s+', '', 'g'))
        ) as unseen_quotes

    from chinese_spans

),

per_sample as (

    select
        samples.sample_id,
        any_value(samples.inputs_hash) as inputs_hash,
        coalesce(
            flatten(list(
                list_transform(
                    english_matches.disagreements,
                    lambda d: english_matches.part || ': "' || d || '"'
                )
            ) filter (where english_matches.sample_id is not null)),
            []
        ) as grammar_disagreements,
        coalesce(
            flatten(list(
                list_transform(
                    chinese_matches.unquoted_latin, lambda w: chinese_matches.part || ': ' || w
                )
            ) filter (where chinese_matches.sample_id is not null)),
            []
        ) as unquoted_latin,
        coalesce(
            flatten(list(
                list_transform(
                    chinese_matches.unseen_quotes,
                    lambda q: chinese_matches.part || ': “' || q || '”'
                )
            ) filter (where chinese_matches.sample_id is not null)),
            []
        ) as unseen_quotes

    from samples
    left join english_matches on english_matches.sample_id = samples.sample_id
    left join chinese_matches on chinese_matches.sample_id = samples.sample_id
    group by samples.sample_id

),

checked as (

    select
        *,
        list_filter([
            case when len(grammar_disagreements) > 0 then {
                'check': 'grammar_agreement', 'error_type': 'grammar_agreement',
                'evidence': 'number and noun disagree: '
                || array_to_string(grammar_disagreements, '; ')
            } end,
            case when len(unquoted_latin) + len(unseen_quotes) > 0 then {
                'check': 'language_mixing', 'error_type': 'language_mixing',
                'evidence': concat_ws(
                    '; ',
                    case
                        when len(unquoted_latin) > 0
                            then
                                'Latin text outside quotes: '
                                || array_to_string(unquoted_latin, ', ')
                    end,
                    case
                        when len(unseen_quotes) > 0
                            then
                                'quoted Latin text no image shows: '
                                || array_to_string(unseen_quotes, ', ')
                    end
                )
            } end
        ], lambda c: c is not null) as failed_checks

    from per_sample

),

final as (

    select
        *,
        array_to_string(
            list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type))), ','
        ) as failed_error_types

    from checked

)

select * from final
