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
  packed/{train,val}.jsonl                                           multi-turn packed set
  llava/{train,val,smoke_test}.json                                  JSON arrays
  <profile>/{train,val,smoke_test}.<suffix>                         every profile of the seed
  images/<source>/<path>   every image of the manifest, hard-linked (or copied): the folder
                           moves and copies with the records

A profile whose seed row says ``is_llamafactory_dataset`` is a LLaMA-Factory dataset_dir:
its folder also holds dataset_info.json and one relative link per source (``<source> ->
../images/<source>``), so LLaMA-Factory's default ``media_dir`` (= ``dataset_dir``) finds
every image path as written, and the links move with the exports folder.
"""

import hashlib
import json
import os
import queue
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor

from lakehouse.export_layout import IMAGES_DIR, dataset_info, file_specs, write_file
from lakehouse.hashing import sha256_file
from lakehouse.sources import resolve_root
from lakehouse.taxonomy import export_profiles

WRITERS = 2
"""Export files written at once, each by its own DuckDB cursor: DuckDB writes one JSON file
on about one core (the 37 files of a 50,000-photo build: 4.1-5.8 s one at a time, 2.3-2.5 s
two at a time)."""


def _place_images(session, assets_view, sources_view, images_dir, wh):
    """Every image of the asset manifest as a real file at images/<source>/<path>: a hard
    link to the registered file (no copy of the bytes), or a copy where a link cannot be
    made (another file system). Unlike symlinks, these survive moving or copying the
    exports folder, and name no path of the build machine. The folders are made first,
    then the files placed on a thread per core (a link or a copy releases the GIL)."""
    images_dir.mkdir(parents=True, exist_ok=True)
    rows = session.execute(f"""
        select a.image, s.images_root, substr(a.image, length(a.source) + 2) as relative_path
        from {assets_view} as a inner join {sources_view} as s on s.source = a.source
        order by a.image
    """).fetchall()
    roots = {root: resolve_root(root, wh) for root in {root for _, root, _ in rows}}
    pairs = [(os.path.join(roots[root], relative_path), os.path.join(images_dir, image))
             for image, root, relative_path in rows]
    for parent in sorted({os.path.dirname(dest) for _, dest in pairs}):
        os.makedirs(parent, exist_ok=True)
    workers = os.cpu_count() or 1
    size = max(1, -(-len(pairs) // (4 * workers)))
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(_place, [pairs[i:i + size] for i in range(0, len(pairs), size)]):
            pass


def _place(pairs):
    for target, dest in pairs:
        try:
            os.link(target, dest)  # follows a symlinked source file to the file itself
        except OSError:
            shutil.copyfile(target, dest)


def _link_sources(images_dir, dataset_dirs):
    """One relative link per image source in each LLaMA-Factory dataset folder."""
    sources = sorted(d.name for d in images_dir.iterdir() if d.is_dir())
    for folder in dataset_dirs:
        for source in sources:
            os.symlink(os.path.join("..", images_dir.name, source), folder / source)


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
    # dbt finds a python model's parents by its literal dbt.ref() calls: one per profile
    relations = {
        "training_records": dbt.ref("training_records"),
        "asset_records": dbt.ref("asset_records"),
        "packed_records": dbt.ref("packed_records"),
        "llava_records": dbt.ref("llava_records"),
        "qwen2vl_records": dbt.ref("qwen2vl_records"),
        "qwen25vl_records": dbt.ref("qwen25vl_records"),
        "llamafactory_records": dbt.ref("llamafactory_records"),
        "qwen3vl_records": dbt.ref("qwen3vl_records"),
        "internvl_records": dbt.ref("internvl_records"),
        "swift_records": dbt.ref("swift_records"),
        "llamafactory_qwen25vl_records": dbt.ref("llamafactory_qwen25vl_records"),
        "asset_sources": dbt.ref("stg_landing__asset_sources"),
    }
    unmapped = [p.export_profile for p in profiles if f"{p.export_profile}_records" not in relations]
    if unmapped:
        raise ValueError(f"export_profiles: no <profile>_records model referenced for {unmapped}")
    views = {}
    for name, relation in relations.items():
        views[name] = f"export_view_{name}"
        relation.to_view(views[name], replace=True)
    # DuckDB writes one JSON file on about one core: the files are written on a cursor per
    # core, each with the views of its own (a temporary view is its connection's alone)
    writers = [session.cursor() for _ in range(max(1, min(WRITERS, os.cpu_count() or 1)))]
    for cursor in writers:
        for name, relation in relations.items():
            cursor.execute(f"create or replace temp view {views[name]} as {relation.sql_query()}")
    idle = queue.SimpleQueue()
    for cursor in writers:
        idle.put(cursor)

    wh = warehouse()
    exports = wh.exports
    staging = exports.with_name(f".exports-{uuid.uuid4().hex[:8]}")

    def write(spec):
        """Write one file on an idle cursor; its sha256 is taken on a thread of its own
        while the cursor goes on to the next file."""
        cursor = idle.get()
        try:
            path = staging / spec.rel_path
            written = write_file(cursor, views[spec.relation], spec.columns, spec.where, path,
                                 spec.is_json_array)
        finally:
            idle.put(cursor)
        return {"file_path": spec.rel_path, "profile": spec.profile, "split": spec.split,
                "row_count": written, "size_bytes": path.stat().st_size}, hasher.submit(sha256_file, path)

    with ThreadPoolExecutor(1) as hasher, ThreadPoolExecutor(len(writers)) as pool:
        written_files = list(pool.map(write, file_specs(profiles)))
        rows = [{**row, "sha256": digest.result()} for row, digest in written_files]
    for cursor in writers:
        cursor.close()
    dataset_dirs = []
    for p in profiles:
        if not p.is_llamafactory_dataset:
            continue
        dataset_dirs.append(staging / p.export_profile)
        info = staging / p.export_profile / "dataset_info.json"
        entries = dataset_info(p)
        info.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
        data = info.read_bytes()
        rows.append({"file_path": f"{p.export_profile}/dataset_info.json", "profile": p.export_profile,
                     "split": "all", "row_count": len(entries),
                     "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)})
    _place_images(session, views["asset_records"], views["asset_sources"], staging / IMAGES_DIR, wh)
    _link_sources(staging / IMAGES_DIR, dataset_dirs)

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
