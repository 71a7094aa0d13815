-- The object category a counting or grounding question asks about, read from the
-- question TEXT: the longest category term it contains (English on word boundaries,
-- Chinese as a substring), so "hot dog" wins over "dog". One row per sample whose
-- question names a category; the audits of both tasks use it.
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type in ('counting_visual_qa', 'region_grounding')

),

terms as (

    select * from {{ ref('int_category_terms_listed') }}

),

matched as (

    select
        samples.sample_id,
        terms.category_name

    from samples
    inner join terms
        on case terms.term_language
            when 'zh' then contains(samples.question_text, terms.term)
            else regexp_matches(lower(samples.question_text), '\b' || terms.term || '\b')
        end
    qualify row_number() over (
        partition by samples.sample_id order by terms.term_length desc, terms.category_name asc
    ) = 1

)

select * from matched
