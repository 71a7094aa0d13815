-- What the language audits (int_sample_language_checked) find, per task type and language
-- and over all samples: candidate samples with an English number-noun disagreement
-- (grammar_agreement) or with Latin text in Chinese that is not quoted visible text
-- (language_mixing: unquoted, or quoted but no image of the sample shows it), and the
-- same counts among the shipped samples (0 whenever the audits gate shipping).
with

candidates as (

    select * from {{ ref('int_samples_templated') }}

),

language_checks as (

    select * from {{ ref('int_sample_language_checked') }}

),

shipped as (

    select sample_id from {{ ref('samples') }}

),

flagged as (

    select
        candidates.task_type,
        candidates.language,
        shipped.sample_id is not null as is_shipped,
        len(language_checks.grammar_disagreements) > 0 as has_grammar_disagreement,
        len(language_checks.unquoted_latin) > 0 as has_unquoted_latin,
        len(language_checks.unseen_quotes) > 0 as has_unseen_quote

    from candidates
    inner join language_checks on language_checks.sample_id = candidates.sample_id
    left join shipped on shipped.sample_id = candidates.sample_id

),

counted as (

    -- one row per task type and language, and the 'all' row over every sample
    select
        case when grouping(task_type) = 1 then 'all' else task_type end as task_type,
        case when grouping(language) = 1 then 'all' else language end as language,
        count(*) as candidate_sample_count,
        count(*) filter (where has_grammar_disagreement) as grammar_agreement_count,
        count(*) filter (where has_unquoted_latin or has_unseen_quote) as language_mixing_count,
        count(*) filter (where has_unquoted_latin) as unquoted_latin_count,
        count(*) filter (where has_unseen_quote) as unseen_quote_count,
        count(*) filter (where is_shipped) as shipped_sample_count,
        count(*) filter (where is_shipped and has_grammar_disagreement)
            as shipped_grammar_agreement_count,
        count(*) filter (where is_shipped and (has_unquoted_latin or has_unseen_quote))
            as shipped_language_mixing_count

    from flagged
    -- (sqlfluff's duckdb dialect cannot parse GROUPING SETS)
    group by grouping sets ((task_type, language), ())  -- noqa: PRS

),

final as (

    select * from counted
    where grammar_agreement_count + language_mixing_count > 0 or task_type = 'all'

)

select * from final
order by task_type = 'all', task_type, language
