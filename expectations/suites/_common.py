"""Pieces the suites share: relation requirements and the records-with-attributes query."""

from __future__ import annotations

from expectations import config as C

# training_records: the canonical records as the lakehouse holds them; the exported
# files carry only id / image / conversations, so a record's task type, asset type and
# language are looked up here by id.
TRAINING_RECORDS = "training_records"
TRAINING_RECORD_COLUMNS = ("id", "image", "conversations", "split", "is_smoke", "task_type",
                           "asset_type", "language", "record_set")
SAMPLES = "samples"


def records_with_attributes(where: str) -> str:
    """Records of x_records (the exported files) joined to training_records by id."""
    return f"""
        select r.*, t.task_type, t.asset_type, t.language, t.split as record_split,
               t.is_smoke as record_is_smoke
        from x_records as r
        left join {TRAINING_RECORDS} as t on t.id = r.id
        where {where}
    """


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


FINAL = quote(C.FINAL_FILE)
SMOKE = quote(C.SMOKE_FILE)
