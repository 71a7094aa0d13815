-- Every way a template answer or question names a COCO category: the English name and
-- singular phrase ("pair of skis") and plural (lower-case, matched on word boundaries) and
-- the Chinese name (matched as a
-- substring). The audits map parsed text back to categories through this list, longest
-- term first, so "hot dogs" is a hot dog and never a dog.
with

names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

terms as (

    select
        category_name,
        lower(category_name) as term,
        'en' as term_language
    from names
    union
    select
        category_name,
        lower(category_name_plural_en) as term,
        'en' as term_language
    from names
    union
    select
        category_name,
        lower(category_name_singular_en) as term,
        'en' as term_language
    from names
    union
    select
        category_name,
        category_name_zh as term,
        'zh' as term_language
    from names

),

final as (

    select
        category_name,
        term,
        term_language,
        length(term) as term_length

    from terms
    where term is not null and term <> ''

)

select * from final
