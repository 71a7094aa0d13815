-- The regular expressions of the grammar_agreement audit (int_sample_language_checked),
-- one row: a number right before a noun that disagrees with it, and a definite subject
-- whose verb disagrees. Nouns are the category vocabulary (stg_seeds__coco_category_names:
-- singular and plural phrase, and a taxonomy name that inflect reads as plural, "skis",
-- through en_is_plural) plus the unit nouns the templates count with (plural by inflect,
-- en_plural); a form that is both singular and plural ("sheep", "series") is in neither
-- list. Built once so that the audit matches every text against constant patterns: a
-- pattern that is a column is compiled again for every row.
with

category_names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

unit_nouns as (

    -- the nouns the English templates count with besides categories
    select
        nouns.noun as singular_en,
        en_plural(nouns.noun) as plural_en

    from (
        values
        ('object'), ('image'), ('item'), ('instance'), ('category'), ('box'), ('field'),
        ('line'), ('word'), ('chart'), ('bar'), ('point'), ('value'), ('label'), ('series')
    ) as nouns (noun)

),

noun_forms as (

    select
        lower(category_name_singular_en) as form,
        'singular' as grammatical_number
    from category_names
    union all
    select
        lower(category_name_plural_en) as form,
        'plural' as grammatical_number
    from category_names
    union all
    -- a taxonomy name that inflect reads as plural itself ("skis", "scissors"; not the
    -- mass noun "broccoli")
    select
        lower(category_name) as form,
        'plural' as grammatical_number
    from category_names
    where
        lower(category_name)
        not in (lower(category_name_singular_en), lower(category_name_plural_en))
        and en_is_plural(category_name)
    union all
    select
        singular_en as form,
        'singular' as grammatical_number
    from unit_nouns
    union all
    select
        plural_en as form,
        'plural' as grammatical_number
    from unit_nouns

),

unambiguous_forms as (

    -- a form that is singular and plural at once ("sheep", "series") agrees with any number
    select
        form,
        any_value(grammatical_number) as grammatical_number

    from noun_forms
    group by form
    having count(distinct grammatical_number) = 1

),

patterns as (

    select
        '(' || string_agg(form, '|' order by length(form) desc, form) filter (
            where grammatical_number = 'singular'
        ) || ')' as singular_forms,
        '(' || string_agg(form, '|' order by length(form) desc, form) filter (
            where grammatical_number = 'plural'
        ) || ')' as plural_forms,
        '(?:^|[^\w.,/:-])' as number_start,
        '(?:1|one)' as number_one,
        '(?:\d{2,}|[02-9]|zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve'
        || '|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)'
            as number_other

    from unambiguous_forms

),

final as (

    select
        '(?i)' || number_start || '(' || number_one || '\s+' || plural_forms || ')\b'
            as one_before_plural_pattern,
        '(?i)' || number_start || '(' || number_other || '\s+' || singular_forms || ')\b'
            as other_before_singular_pattern,
        '(?i)((?:\b\w+\s+)?\bthe\s+' || plural_forms || '\s+(?:is|was|has|does))\b'
            as plural_subject_pattern,
        '(?i)((?:\b\w+\s+)?\bthe\s+' || singular_forms || '\s+(?:are|were|have|do))\b'
            as singular_subject_pattern,
        '(?i)\b(does(?:n''t)?\s+(?:the\s+)?' || plural_forms || ')\b' as does_plural_pattern

    from patterns

)

select * from final
