"""The core every other package stands on; it imports nothing else of the project.

- ``settings``: where things live (the project root, the active warehouse and its folders).
- ``landing``: the landing writer (one Parquet file per table and source, replaced atomically);
  ``commit``: a landing's tables committed all or nothing; ``lock``: one writer at a time.
- ``rejects``: the rejects table and its reason codes.
- ``sources``: the ``asset_sources`` table and the one way an images root is resolved.
- ``report``: what a landing did, table by table.
- ``tables/``: the explicit schema of every landed table; ``catalog`` gathers them.
- ``dbt``: running dbt on the project against the active warehouse; ``dbt_server``: dbt runs
  forked from a process that has dbt imported.
- ``export_layout``: the files of a trainer-ready export, written by builds and releases alike.
- ``stages``: the per-item stage runner (in-process or a process pool).
- ``taxonomy``: the task types, error types and export profiles, read from their seeds.
"""
