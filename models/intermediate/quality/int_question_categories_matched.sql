-- The object category a counting or grounding question asks about, read from the
-- question TEXT: the longest category term it contains (English on word boundaries,
-- Chinese as a substring), so "hot dog" wins over "dog". One row per sample whose
-- question names a category; the audits of both tasks use it.
-- Linear: no pattern is built per row. The question is cut into candidate strings (for
-- English every span from a word start to a word end, words being runs of [0-9a-z_] as
-- regex \b sees them; for Chinese every substring up to the longest term) and the
-- candidates are equality-joined to the terms. Chinese candidates are cut only from
-- questions with a non-ASCII character (unless a Chinese term is plain ASCII): a question
-- in plain ASCII cannot contain a term that is not.
-- The questions come from templates, so few texts repeat over many samples (826 texts for
-- 153,750 samples at 50,000 images): each text is matched once, and the samples join it.
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type in ('counting_visual_qa', 'region_grounding')

),

terms as (

    select * from {{ ref('int_category_terms_listed') }}

),

questions as (

    select distinct question_text from samples

),

term_limits as (

    select
        coalesce(max(length(term)) filter (where term_language <> 'zh'), 0) as max_en_length,
        coalesce(max(length(term)) filter (where term_language = 'zh'), 0) as max_zh_length,
        coalesce(
            bool_or(regexp_full_match(term, '[\x00-\x7f]*'))
            filter (where term_language = 'zh'),
            false
        ) as has_ascii_zh_term

    from terms

),

english_positions as (

    select
        question_text,
        lower(question_text) as text_lower,
        unnest(range(1, length(lower(question_text)) + 1)) as position

    from questions

),

english_characters as (

    select
        question_text,
        text_lower,
        position,
        regexp_full_match(substring(text_lower, position, 1), '[0-9a-z_]') as is_word_character

    from english_positions

),

english_bounds as (

    select
        question_text,
        text_lower,
        position,
        is_word_character
        and not coalesce(lag(is_word_character) over by_position, false) as is_word_start,
        is_word_character
        and not coalesce(lead(is_word_character) over by_position, false) as is_word_end

    from english_characters
    window by_position as (partition by question_text order by position)

),

english_candidates as (

    select
        starts.question_text,
        substring(
            starts.text_lower, starts.position, ends.position - starts.position + 1
        ) as candidate

    from english_bounds as starts
    inner join english_bounds as ends
        on ends.question_text = starts.question_text
        and ends.position >= starts.position
    cross join term_limits
    where
        starts.is_word_start
        and ends.is_word_end
        and ends.position - starts.position < term_limits.max_en_length

),

chinese_positions as (

    select
        questions.question_text,
        unnest(range(1, length(questions.question_text) + 1)) as position

    from questions
    cross join term_limits
    where
        term_limits.has_ascii_zh_term
        or not regexp_full_match(questions.question_text, '[\x00-\x7f]*')

),

candidate_lengths as (

    select unnest(range(1, max_zh_length + 1)) as candidate_length
    from term_limits

),

chinese_candidates as (

    select
        chinese_positions.question_text,
        substring(
            chinese_positions.question_text,
            chinese_positions.position,
            candidate_lengths.candidate_length
        ) as candidate

    from chinese_positions
    cross join candidate_lengths
    where
        chinese_positions.position + candidate_lengths.candidate_length - 1
        <= length(chinese_positions.question_text)

),

matched as (

    select
        english_candidates.question_text,
        terms.category_name,
        terms.term_length

    from english_candidates
    inner join terms
        on terms.term = english_candidates.candidate
        and terms.term_language <> 'zh'

    union all

    select
        chinese_candidates.question_text,
        terms.category_name,
        terms.term_length

    from chinese_candidates
    inner join terms
        on terms.term = chinese_candidates.candidate
        and terms.term_language = 'zh'

),

question_categories as (

    select
        question_text,
        category_name

    from matched
    qualify row_number() over (
        partition by question_text
        order by term_length desc, category_name asc
    ) = 1

),

final as (

    select
        samples.sample_id,
        question_categories.category_name

    from samples
    inner join question_categories
        on question_categories.question_text = samples.question_text

)

select * from final
