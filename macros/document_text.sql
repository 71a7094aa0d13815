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


{#- A form question linked to several answer entities (FUNSD: a list of notes, a row of
    table cells) is asked as ONE field whose value is every answer, in reading order, as a
    reader would copy them onto one line: separated by answer_separator(), "; ". A
    semicolon, not a comma or a space: the parts are separate entries on the page, and
    FUNSD answers print commas inside them ("Raleigh, NC"), so a comma join would read as
    one entry. answer_parts(value) splits a stated value back into its parts: the audit
    reads each part back from the page, and the whole from the landed links joined the
    same way, so a value naming only some of the answers fails.
-#}

{% macro answer_separator() -%}
'; '
{%- endmacro %}


{% macro answer_parts(value) -%}
string_split(coalesce({{ value }}, ''), {{ answer_separator() }})
{%- endmacro %}


{#- Reading order of a form's answer entities linked to one question: top to bottom, then
    left to right. Two answers are on one row when their vertical centres are less than
    half the taller box's height apart (a row of table cells is never level to the pixel);
    then the left one reads first. answer_precedes(a, b) is true when entity a reads before
    entity b; a and b are relation names with x_px, y_px, h_px columns. -#}

{% macro answer_precedes(a, b) -%}
(
    ({{ a }}.y_px + {{ a }}.h_px / 2) - ({{ b }}.y_px + {{ b }}.h_px / 2)
    <= -0.5 * greatest({{ a }}.h_px, {{ b }}.h_px)
    or (
        abs(({{ a }}.y_px + {{ a }}.h_px / 2) - ({{ b }}.y_px + {{ b }}.h_px / 2))
        < 0.5 * greatest({{ a }}.h_px, {{ b }}.h_px)
        and {{ a }}.x_px < {{ b }}.x_px
    )
)
{%- endmacro %}
