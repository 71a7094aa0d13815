{#- The one place where document text is normalised for comparison. Document QA and OCR
    summaries are both audited with these macros (int_document_samples_audited), and the
    askable-field rules (int_document_fields_screened) use the same ones, so a value that
    is refused as a question is refused in a summary too.

    fold_spaced: case folded, runs of whitespace made one space, trimmed. Two texts that
        fold_spaced alike read the same word for word (spacing kept).
    fold_compact: case folded, all whitespace removed. For comparing with a text whose
        spacing is not trusted (OCR output merges words; FUNSD annotations split them).
    compact: whitespace removed, case kept (the case check).
    spacing_artefacts: the spaces a word-by-word join leaves inside a token, as a list of
        the spots found: a space after or before a '-' or '/' that joins two characters
        ("10/ 03/ 96", "llam- 6pm", "614 -466"), a decimal point or time colon followed by
        a space before a digit ("165. 00", "10: 55"), a thousands comma followed by a space
        and exactly three digits ("14, 165"). "May 1, 1985" and "A / B" are not spots.
-#}

{% macro fold_spaced(text) -%}
lower(trim(regexp_replace(coalesce({{ text }}, ''), '\s+', ' ', 'g')))
{%- endmacro %}


{% macro fold_compact(text) -%}
lower(regexp_replace(coalesce({{ text }}, ''), '\s+', '', 'g'))
{%- endmacro %}


{% macro compact(text) -%}
regexp_replace(coalesce({{ text }}, ''), '\s+', '', 'g')
{%- endmacro %}


{% macro spacing_artefacts(text) -%}
regexp_extract_all(
    coalesce({{ text }}, ''),
    '[[:alnum:]][-/] +[[:alnum:]]|[[:alnum:]] +[-/][[:alnum:]]'
        || '|[0-9][.:] +[0-9]|[0-9], +[0-9]{3}([^0-9]|$)'
)
{%- endmacro %}
