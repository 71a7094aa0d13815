"""Derived assets: document pages and charts rendered from the COCO pool, with exact truth.

Modules, one step each:
- ``inputs``: the general images (asset, size, license, annotations with category names)
  read from a landed COCO source, or built from in-memory lists.
- ``balance``: which general images are in the pool and how many documents and charts to
  render so the three asset types come out equal.
- ``licenses``: the license a derived asset inherits from its parents.
- ``fonts``: matplotlib's bundled DejaVu and STIX fonts, loaded for Pillow deterministically.
- ``page``: a small text layout engine that records every line and word box it draws,
  tick boxes, and seeded scan noise (rotation, blur, JPEG).
- ``documents``: six business layouts (invoice, delivery note, inspection checklist,
  receipt, stock count sheet, request form) whose items and totals come from the parent.
- ``charts``: data tables from the pool and their bar / barh / line / pie charts.
- ``tables``: lineage and pool table schemas, and every table the renderer lands.
- ``derive``: ``render_derived``: render, write the PNGs, land assets and ground truth.
- ``replay``: re-render a landed derived asset from its lineage and compare the hash.
"""
