{#- A license URL reduced to what identifies it: lower case, no scheme, no "www.", no
    trailing slash (http://creativecommons.org/licenses/by/2.0/ becomes
    creativecommons.org/licenses/by/2.0). -#}
{% macro license_url_key(column) -%}
rtrim(regexp_replace(lower(trim({{ column }})), '^https?://(www\.)?', ''), '/')
{%- endmacro %}
