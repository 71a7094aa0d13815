"""CHAIR mentions: one row per (answer, COCO category it mentions), with whether the
answer's image(s) hold that category.

In: the answers of the task types CHAIR reads (``is_chair_checked`` in seeds/task_types.csv:
image_description and multi_image_comparison) (template or
model-written: ``generation_method`` when the samples carry it, else ``'template'``), the
categories each image holds (int_image_objects_counted: any annotation, crowd regions
included), the CHAIR synonym list (stg_quality__chair_synonyms; the category names alone
when it has not been landed) and the Chinese category names (the seed).
Out: sample_id, task_type, language, generation_method, category_name, mention_count,
mentioned_as (the words as written), is_hallucinated (no image of the sample holds the
category). An answer without mentions has no row; CHAIR_s counts it all the same
(marts/quality/chair_scores). Mention extraction is quality.chair.extract_mentions.

Built incrementally (macros/incremental.sql says how; the config is in
_quality__models.yml): each row carries the ``inputs_hash`` of its sample (md5 of
DuckDB's 64-bit hash() of the sample's columns above, the categories its images hold,
the vocabulary and quality/chair.py's source), and a run after the first reads only the
answers whose hash no row holds. An answer without mentions is returned as one row
without a category: it takes the place of the sample's old rows, and the post-hook
deletes it (so that answer is read again in every run).
"""

import hashlib
import json
from collections import Counter
from pathlib import Path

SCHEMA_NAMES = ("sample_id", "task_type", "language", "generation_method", "category_name",
                "mention_count", "mentioned_as", "is_hallucinated", "inputs_hash")


def _md5(value: object) -> str:
    return hashlib.md5(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def model(dbt, session):
    import pyarrow as pa

    from lakehouse.incremental_models import unbuilt_samples
    from lakehouse.taxonomy import task_types
    from quality import chair

    # incremental, by sample_id: the config is in _quality__models.yml (it holds Jinja)
    samples = dbt.ref("int_samples_templated")
    method = "generation_method" if "generation_method" in samples.columns else "'template'"
    task_list = ", ".join(f"'{t.task_type}'" for t in task_types() if t.is_chair_checked)
    names = dbt.ref("stg_seeds__coco_category_names").project(
        "category_name, category_name_zh").fetchall()
    synonyms = dbt.ref("stg_quality__chair_synonyms").project("category_name, synonym").fetchall()
    if not synonyms:
        synonyms = [(category, category) for category, _ in names]
    vocabulary = chair.build_vocabulary(synonyms, {zh: category for category, zh in names if zh})
    # with CHAIR's own code: a dbt build after an edit of quality/chair.py reads every answer again
    vocabulary_digest = _md5([sorted(synonyms), sorted(names), _md5(Path(chair.__file__).read_text())])

    # the answers (of the samples whose inputs no row holds yet, in an incremental run),
    # each with the categories its images hold and the hash of everything it is read with
    samples.create_view("mentions_samples")
    dbt.ref("int_image_objects_counted").create_view("mentions_objects")
    answers = session.execute(f"""
        with answers as (
            select sample_id, task_type, language, {method} as generation_method, answer_text,
                   source_asset_ids
            from mentions_samples where task_type in ({task_list})
        ),
        truth as (
            select answers.sample_id,
                   list_sort(list(distinct o.category_name) filter (where o.category_name is not null))
                       as held
            from answers, unnest(answers.source_asset_ids) as source_asset (asset_id)
            left join mentions_objects as o on o.asset_id = source_asset.asset_id
            group by answers.sample_id
        ),
        hashed as (
            select answers.*, coalesce(truth.held, []) as held,
                   md5(hash(struct_pack(
                       task_type := answers.task_type, language := answers.language,
                       generation_method := answers.generation_method,
                       answer_text := answers.answer_text,
                       source_asset_ids := answers.source_asset_ids,
                       held := coalesce(truth.held, []), vocabulary := $vocabulary
                   ))::varchar) as inputs_hash
            from answers left join truth on truth.sample_id = answers.sample_id
        )
        select sample_id, task_type, language, generation_method, answer_text, held, inputs_hash
        from hashed {unbuilt_samples(dbt)}
    """, {"vocabulary": vocabulary_digest}).fetchall()
    session.execute("drop view mentions_samples")
    session.execute("drop view mentions_objects")

    columns: dict[str, list] = {name: [] for name in SCHEMA_NAMES}
    for sample_id, task_type, language, generation_method, answer_text, held, inputs_hash in answers:
        truth = set(held)
        mentions = chair.extract_mentions(answer_text or "", vocabulary)
        surfaces: dict[str, set[str]] = {}
        for mention in mentions:
            surfaces.setdefault(mention.category, set()).add(mention.surface)
        counts = Counter(m.category for m in mentions)
        # an answer without mentions gets one row without a category, which replaces the
        # sample's old rows (delete+insert by sample_id) and is then deleted (post-hook)
        for category, count in sorted(counts.items()) or [(None, 0)]:
            for name, value in zip(SCHEMA_NAMES, (
                    sample_id, task_type, language, generation_method, category, count,
                    sorted(surfaces.get(category, ())), category is not None and category not in truth,
                    inputs_hash)):
                columns[name].append(value)

    return pa.Table.from_pydict(columns, schema=pa.schema([
        ("sample_id", pa.string()), ("task_type", pa.string()), ("language", pa.string()),
        ("generation_method", pa.string()), ("category_name", pa.string()),
        ("mention_count", pa.int64()), ("mentioned_as", pa.list_(pa.string())),
        ("is_hallucinated", pa.bool_()), ("inputs_hash", pa.string()),
    ]))
