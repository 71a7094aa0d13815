{#- Where exports go: <warehouse>/exports (the same place export_files.py writes). -#}
{% macro exports_dir() -%}
{{ warehouse_root() }}/exports
{%- endmacro %}


{#- A post-hook that writes a one-row model as a JSON object file under exports/. -#}
{% macro write_json_object(relation, file_name) -%}
COPY (select * from {{ relation }}) TO '{{ exports_dir() }}/{{ file_name }}' (FORMAT json)
{%- endmacro %}
