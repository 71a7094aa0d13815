{#- A paid call is answered once: at most one status='ok' row per request hash. -#}
{% test ok_rows_unique_per_request_hash(model) %}

select request_hash, count(*) as ok_rows
from {{ model }}
where status = 'ok'
group by request_hash
having count(*) > 1

{% endtest %}
