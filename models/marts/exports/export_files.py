"""Write the export files from the record tables; one row per file written.

In: the record models (training_records, the trainer profiles' records, asset_records)
and the landed asset sources. Out: files under <warehouse>/exports/ and this table
(path relative to exports/, profile, split, rows, sha256, size). The whole exports tree
is written to a fresh directory and swapped in at the end, so readers never see a mix
of two builds. An empty split gives an empty file (or `[]`), never a null row.

Layout:
  final_llava_dataset.jsonl train.jsonl val.jsonl smoke_test.jsonl   canonical records
  llava_instruct.jsonl llava_alignment.jsonl llava_interleaved.jsonl by record set
  asset_manifest.jsonl                                               assets used
  llava/{train,val,smoke_test}.json                                  JSON arrays
  qwen2vl/ qwen25vl/ llamafactory/ {train,val,smoke_test}.jsonl     (+ dataset_info.json)
  images/<source>/<path>   every image of the manifest, hard-linked (or copied): the folder
                           moves and copies with the records
"""

import hashlib
import json
import os
import shutil
import uuid

from lakehouse.sources import resolve_root
from lakehouse.taxonomy import export_profiles, task_types

SPLIT_FILTERS = {
    "train": "split = 'train'",
    "val": "split = 'val'",
    "smoke_test": "is_smoke",
}


def _specs(profiles):
    """(relative path, relation, columns, filter, is_json_array, profile, split) per file."""
    canon = "id, image, conversations"
    specs = [("final_llava_dataset.jsonl", "training_records", canon, "true", False, "canonical", "all")]
    specs += [(f"{split}.jsonl", "training_records", canon, where, False, "canonical", split)
              for split, where in SPLIT_FILTERS.items()]
    record_sets = dict.fromkeys(t.record_set for t in task_types())
    specs += [(f"llava_{record_set}.jsonl", "training_records", canon, f"record_set = '{record_set}'",
               False, "canonical", "all") for record_set in record_sets]
    specs.append(("asset_manifest.jsonl", "asset_records", "*", "true", False, "assets", "all"))
    for p in profiles:
        specs += [(f"{p.export_profile}/{split}.{p.file_suffix}", f"{p.export_profile}_records",
                   p.record_columns, where, p.is_json_array, p.export_profile, split)
                  for split, where in SPLIT_FILTERS.items()]
    return specs


def _write(session, view, columns, where, path, is_array):
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT json, ARRAY true" if is_array else "FORMAT json"
    escaped = str(path).replace("'", "''")
    order = "asset_id" if view.endswith("asset_records") else "id"
    session.execute(f"COPY (select {columns} from {view} where {where} order by {order}) TO '{escaped}' ({options})")


def _count(path, is_array):
    text = path.read_text(encoding="utf-8")
    if is_array:
        return len(json.loads(text))
    return sum(1 for line in text.splitlines() if line.strip())


def _dataset_info():
    return {
        f"mmfactory_{split}": {
            "file_name": f"{split}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "images": "images"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
        }
        for split in SPLIT_FILTERS
    }


def _place_images(session, assets_view, sources_view, images_dir):
    """Every image of the asset manifest as a real file at images/<source>/<path>: a hard
    link to the registered file (no copy of the bytes), or a copy where a link cannot be
    made (another file system). Unlike symlinks, these survive moving or copying the
    exports folder, and name no path of the build machine."""
    images_dir.mkdir(parents=True, exist_ok=True)
    rows = session.execute(f"""
        select a.image, s.images_root, substr(a.image, length(a.source) + 2) as relative_path
        from {assets_view} as a inner join {sources_view} as s on s.source = a.source
        order by a.image
    """).fetchall()
    for image, root, relative_path in rows:
        target = resolve_root(root) / relative_path
        dest = images_dir / image
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(target.resolve(), dest)
        except OSError:
            shutil.copyfile(target, dest)


def _profile_list(value):
    """The export_profiles var as the chosen profiles of seeds/export_profiles.csv, in the
    seed's order (yml renders a list var as its text)."""
    if value is None:
        return []
    if isinstance(value, str):
        import ast

        value = ast.literal_eval(value) if value.strip().startswith("[") else value.split(",")
    known = {p.export_profile: p for p in export_profiles()}
    wanted = {str(v).strip() for v in value if str(v).strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ValueError(f"export_profiles: unknown profile(s) {unknown}; known: {sorted(known)}")
    return [p for name, p in known.items() if name in wanted]


def model(dbt, session):
    from lakehouse.settings import warehouse

    dbt.config(materialized="table")
    profiles = _profile_list(dbt.config.meta_get("export_profiles"))
    relations = {
        "training_records": dbt.ref("training_records"),
        "asset_records": dbt.ref("asset_records"),
        "llava_records": dbt.ref("llava_records"),
        "qwen2vl_records": dbt.ref("qwen2vl_records"),
        "qwen25vl_records": dbt.ref("qwen25vl_records"),
        "llamafactory_records": dbt.ref("llamafactory_records"),
        "asset_sources": dbt.ref("stg_landing__asset_sources"),
    }
    views = {}
    for name, relation in relations.items():
        views[name] = f"export_view_{name}"
        relation.to_view(views[name], replace=True)

    exports = warehouse().exports
    staging = exports.with_name(f".exports-{uuid.uuid4().hex[:8]}")
    rows = []
    for rel_path, relation, columns, where, is_array, profile, split in _specs(profiles):
        path = staging / rel_path
        _write(session, views[relation], columns, where, path, is_array)
        data = path.read_bytes()
        rows.append({
            "file_path": rel_path, "profile": profile, "split": split,
            "row_count": _count(path, is_array), "sha256": hashlib.sha256(data).hexdigest(),
            "size_bytes": len(data),
        })
    if "llamafactory" in {p.export_profile for p in profiles}:
        info = staging / "llamafactory" / "dataset_info.json"
        info.write_text(json.dumps(_dataset_info(), indent=2) + "\n", encoding="utf-8")
        data = info.read_bytes()
        rows.append({"file_path": "llamafactory/dataset_info.json", "profile": "llamafactory",
                     "split": "all", "row_count": len(_dataset_info()),
                     "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)})
    _place_images(session, views["asset_records"], views["asset_sources"], staging / "images")

    previous = exports.with_name(f".exports-old-{uuid.uuid4().hex[:8]}")
    if exports.exists():
        os.replace(exports, previous)
    os.replace(staging, exports)
    shutil.rmtree(previous, ignore_errors=True)
    for view in views.values():
        session.execute(f"drop view if exists {view}")

    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("file_path", pa.string()), ("profile", pa.string()), ("split", pa.string()),
        ("row_count", pa.int64()), ("sha256", pa.string()), ("size_bytes", pa.int64()),
    ]))
