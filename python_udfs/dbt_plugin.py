"""dbt-duckdb plugin registering the functions of :mod:`python_udfs.boxes` and
:mod:`python_udfs.grammar` as UDFs.

Profile (``profiles.yml``)::

    plugins:
      - module: python_udfs.dbt_plugin

SQL functions (vectorized arrow UDFs registered with ``null_handling="special"``: the
functions themselves turn NULL arguments and invalid rows, e.g. a zero image width, into
NULL results; DuckDB's default handling would reject any NULL a UDF returns):

* ``bbox_coco_to_grid(x, y, w, h DOUBLE, width_px, height_px INTEGER)``
  -> ``STRUCT(ymin, xmin, ymax, xmax INTEGER, is_collapsed BOOLEAN)``
* ``bbox_grid_to_coco(ymin, xmin, ymax, xmax INTEGER, width_px, height_px INTEGER)``
  -> ``STRUCT(x, y, w, h DOUBLE)``
* ``bbox_coco_to_llava(x, y, w, h DOUBLE, width_px, height_px INTEGER)`` -> ``DOUBLE[4]``
* ``bbox_coco_to_qwen25vl(x, y, w, h DOUBLE, width_px, height_px INTEGER)`` -> ``INTEGER[4]``
* ``bbox_coco_to_qwen25vl_llamafactory(...)`` -> ``INTEGER[4]`` (LLaMA-Factory's resize)
* ``bbox_coco_to_rel1000(...)`` -> ``INTEGER[4]`` ([x1, y1, x2, y2] on 0..1000)
* ``bbox_coco_to_pixels(...)`` -> ``DOUBLE[4]`` ([x1, y1, x2, y2] raw pixels, 2 decimals)

and the English helpers of :mod:`python_udfs.grammar` (``en_plural``, ``en_with_article``,
``en_number_word``, ``en_is_plural``).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin

from python_udfs import boxes, grammar

_COCO_ARGS = ["DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE", "INTEGER", "INTEGER"]
_GRID_ARGS = ["INTEGER"] * 6

UDFS: dict[str, tuple[Callable[..., pa.Array], list[str], str]] = {
    "bbox_coco_to_grid": (boxes.coco_to_grid, _COCO_ARGS, boxes.GRID_SQL_TYPE),
    "bbox_grid_to_coco": (boxes.grid_to_coco, _GRID_ARGS, boxes.COCO_SQL_TYPE),
    "bbox_coco_to_llava": (boxes.coco_to_llava, _COCO_ARGS, boxes.LLAVA_SQL_TYPE),
    "bbox_coco_to_qwen25vl": (boxes.coco_to_qwen25vl, _COCO_ARGS, boxes.QWEN25VL_SQL_TYPE),
    "bbox_coco_to_qwen25vl_llamafactory": (boxes.coco_to_qwen25vl_llamafactory, _COCO_ARGS,
                                           boxes.QWEN25VL_SQL_TYPE),
    "bbox_coco_to_rel1000": (boxes.coco_to_rel1000_xyxy, _COCO_ARGS, boxes.REL1000_SQL_TYPE),
    "bbox_coco_to_pixels": (boxes.coco_to_pixels_xyxy, _COCO_ARGS, boxes.PIXELS_SQL_TYPE),
    "en_plural": (grammar.plural, ["VARCHAR"], "VARCHAR"),
    "en_with_article": (grammar.article, ["VARCHAR"], "VARCHAR"),
    "en_number_word": (grammar.number_words, ["BIGINT"], "VARCHAR"),
    "en_is_plural": (grammar.is_plural, ["VARCHAR"], "BOOLEAN"),
}
"""SQL name -> (python function, argument types, return type)."""


def register_udfs(conn: duckdb.DuckDBPyConnection) -> None:
    """Register every function of :data:`UDFS` on ``conn`` (idempotent: replaces them).

    The functions are pure, so DuckDB may fold calls with constant arguments. They are
    registered with ``null_handling="special"`` because they return NULL for invalid
    rows (DuckDB's default handling raises when a UDF returns a NULL).
    """
    for name, (fn, arg_types, return_type) in UDFS.items():
        try:
            conn.remove_function(name)
        except duckdb.InvalidInputException:
            pass  # not registered yet
        conn.create_function(
            name, fn, arg_types, return_type, type="arrow", null_handling="special"
        )


class Plugin(BasePlugin):
    """dbt-duckdb plugin: ``configure_connection`` registers the UDFs of :data:`UDFS`."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        register_udfs(conn)
