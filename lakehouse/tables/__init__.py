"""The explicit pyarrow schema of every landed table, one module per kind of input.

``assets`` (image files), ``coco``, ``documents`` (document and chart ground truth shared
by real and derived sources), ``ocr``, ``renders`` (lineage and the balanced pool),
``generation`` (model calls) and ``quality`` (CHAIR synonyms, review verdicts, the failure
library). ``lakehouse.catalog`` gathers them.
"""
