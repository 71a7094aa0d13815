"""The pure-SQL grid expression, rendered from the dbt macro ``bbox_coco_to_grid_sql``.

The macro (``macros/bbox_sql.sql``) is kept only as the oracle the UDF is tested against:
the tests and the UDF bench render it here with Jinja, exactly as dbt would.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

MACRO_FILE = Path(__file__).resolve().parents[2] / "macros" / "bbox_sql.sql"


def grid_sql(x: str, y: str, w: str, h: str, width_px: str, height_px: str) -> str:
    """The macro's SQL expression for the given SQL argument expressions."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    args = ", ".join(repr(a) for a in (x, y, w, h, width_px, height_px))
    call = "{{ bbox_coco_to_grid_sql(" + args + ") }}"
    return env.from_string(MACRO_FILE.read_text(encoding="utf-8") + call).render().strip()
