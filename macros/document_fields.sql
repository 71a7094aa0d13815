{#- When a document field may be asked about, as written rules. A field is askable only
    when its label reads as a label and its value is a complete value. Each macro returns
    the name of the first rule the text breaks, or null. The rules are listed (with the
    rules that need the page: spacing, case, repeated labels) in README "What is asked of
    a document"; int_document_fields_screened applies them to every field and the audit
    (int_document_samples_audited) applies value_refusal to every value a sample states.

    Label rules (label_refusal):
      label_length    fewer than 2 or more than 40 characters
      label_fragment  a word repeated back to back ("FILE FILE TYPE"), a dangling connector
                      at either end ("CAPRI -", "& CARRY"), unbalanced brackets
                      ("CLUB, CASH & CARRY, ETC...)"), or fewer than 2 letters
      label_is_value  the label is itself a date or number ("SEP 15", "Nov.", "1996"):
                      a column of checkboxes, not a question
    Value rules (value_refusal):
      value_length      empty or more than 80 characters
      value_mark        a checkbox or tick, not a value: no letter or digit ("☑", "#",
                        "-") or a lone x / X / tick
      value_instruction printed instructions: wholly in brackets ("(check one)") or opening
                        with check / circle / tick / specify / please / if / see / attach
      value_placeholder a blank printed template: no digit, and a '$' or a unit where the
                        number goes ("mm x mm", "FULLS $ P/ V $")
      value_cut         cut mid-phrase: opening or ending on an ellipsis, ending on a comma,
                        semicolon, colon, '&' or connector word ("... and", "... of the"),
                        an unbalanced quote or bracket, or a continuation line (starts with
                        a lower-case word and runs 3+ words: "comments to the Council.")
-#}

{% macro label_refusal(name) -%}
case
    when length({{ name }}) not between 2 and 40 then 'label_length'
    when len(list_filter(
            range(1, len(string_split(lower({{ name }}), ' '))),
            lambda i: string_split(lower({{ name }}), ' ')[i]
                = string_split(lower({{ name }}), ' ')[i + 1]
                and string_split(lower({{ name }}), ' ')[i] <> '')) > 0
        or regexp_matches({{ name }}, '(^[-&/,)+]|[-&/,(+]$)')
        or length(replace({{ name }}, '(', '')) <> length(replace({{ name }}, ')', ''))
        or length(regexp_replace({{ name }}, '[^\pL]', '', 'g')) < 2
        then 'label_fragment'
    when regexp_matches(lower({{ name }}),
            '^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?( *[0-9]{1,4})?$')
        or regexp_matches({{ name }}, '^[0-9 ./-]+$')
        then 'label_is_value'
end
{%- endmacro %}


{% macro value_refusal(value) -%}
case
    when length({{ value }}) not between 1 and 80 then 'value_length'
    when not regexp_matches({{ value }}, '[\pL\pN]')
        or regexp_matches({{ value }}, '^[xX✓✔☑☒✗✘]$')
        then 'value_mark'
    when regexp_matches({{ value }}, '^\(.*\)$')
        or regexp_matches(lower({{ value }}),
            '^\(?(check|circle|tick|specify|please|if|see|attach)\b')
        then 'value_instruction'
    when not regexp_matches({{ value }}, '[0-9]')
        and (contains({{ value }}, '$')
            or regexp_matches(lower({{ value }}), '^(mm|cm|m|km|kg|g|mg|gm|ml|l|%)( |$)'))
        then 'value_placeholder'
    when regexp_matches({{ value }}, '^(…|\.\.\.)|(…|\.\.\.|[,;:&])$')
        or regexp_matches(lower({{ value }}),
            '\s(and|or|of|the|to|with|for|a|an|in|on|by|our|from|at|not|that|which|where)$')
        or (length({{ value }}) - length(replace({{ value }}, '"', ''))) % 2 = 1
        or length(replace({{ value }}, '(', '')) <> length(replace({{ value }}, ')', ''))
        or (regexp_matches({{ value }}, '^[a-z]')
            and len(string_split(trim({{ value }}), ' ')) >= 3)
        then 'value_cut'
end
{%- endmacro %}
