"""The project checks as Great Expectations data contracts.

- ``expectations.config``: the contract's numbers and names (task types, asset balance,
  maximum task share, deliverables), in one place; no Great Expectations import.
- ``expectations.inputs``: the lakehouse (read-only) and the exported files, loaded once.
- ``expectations.suites``: all the checks, each a function building DataFrames with
  native expectations, and violation queries that must return no row.
- ``expectations.validation``: one check run, its parts validated by Great Expectations
  in one ephemeral GX context per process.
- ``expectations.sharing``: the checks of one run shared with helper processes, on every
  core, when the exports are large.
- ``expectations.runner``: which checks run, and how; ``run_checks``.

Importing this package does not import Great Expectations (3-6 s); running checks does.
"""
