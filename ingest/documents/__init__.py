"""Shared pieces of the document and chart landings (FUNSD, SROIE, ChartQA, derived renders).

- ``tables``: the ground-truth tables that real and derived documents/charts share, with
  their explicit schemas (``LANDED_TABLES``).
- ``report``: ``DocumentLandingReport``, the landing report plus the images roots used.
- ``reasons``: reject reason codes these landings need beyond ``lakehouse.rejects.Reason``.
- ``boxes``: box and quadrilateral checks that give a reject reason or nothing.
- ``files``: image files of a source -> ``assets`` rows, rejects and ``asset_sources``.
- ``plausibility``: is a chart's data table believable (ChartQA's tables have artefacts)?
- ``char_recall``: how much of a ground-truth text an OCR output recovers.
"""
