"""The dataset card of a release: README.md with the Hugging Face YAML header.

In: the built release models (counts from ``release_samples``, licenses from
``release_assets`` and ``seeds/licenses.csv``, audit pass rates from
``report_quality_by_task_type``, task categories from ``seeds/release_task_categories.csv``)
and the contract result line. Out: the card's text. The header lists license(s), task
categories, languages, size category and one config whose splits are the release's
canonical files (train.jsonl, val.jsonl), so ``datasets.load_dataset(<release dir>)``
loads it; the body states counts per task, asset type, language and split, the audits and
their pass rates, known limitations and how the data was made.
"""

from __future__ import annotations

from typing import Any

import duckdb
import yaml

LANGUAGE_CODES = {"en": "en", "zh": "zh"}


def size_category(n: int) -> str:
    """The Hugging Face size category of ``n`` records."""
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M")):
        if n < bound:
            return label
    return "n>1M"


def _counts(con: duckdb.DuckDBPyConnection, profile: str, column: str) -> list[tuple[str, int]]:
    return [(str(r[0]), int(r[1])) for r in con.execute(
        f"select {column}, count(*) from release_samples where release_profile = ? and is_released "
        "group by 1 order by 2 desc, 1", [profile]).fetchall()]


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def card_header(con: duckdb.DuckDBPyConnection, profile: str, release_id: str) -> dict[str, Any]:
    """The YAML header's fields."""
    licenses = [r[0] for r in con.execute(
        "select distinct licenses.hf_license from "
        "(select distinct unnest(license_keys) as license_key from release_assets "
        " where release_profile = ?) as used "
        "left join licenses on licenses.license_key = used.license_key order by 1", [profile]).fetchall()]
    licenses = [lic or "unknown" for lic in licenses]
    categories = [r[0] for r in con.execute(
        "select distinct categories.hf_task_category from release_samples "
        "inner join release_task_categories as categories using (task_type) "
        "where release_profile = ? and is_released order by 1", [profile]).fetchall()]
    languages = [LANGUAGE_CODES.get(lang, lang) for lang, _ in _counts(con, profile, "language")]
    total = sum(n for _, n in _counts(con, profile, "split"))
    header: dict[str, Any] = {
        "pretty_name": f"mmfactory {release_id}",
        "license": licenses[0] if len(licenses) == 1 else licenses,
        "language": sorted(languages),
        "task_categories": categories,
        "size_categories": [size_category(total)],
        "tags": ["multimodal", "instruction-tuning", "vlm", f"release-profile-{profile}"],
        "configs": [{
            "config_name": "default",
            "data_files": [{"split": "train", "path": "train.jsonl"},
                           {"split": "validation", "path": "val.jsonl"}],
        }],
    }
    if "other" in licenses or "unknown" in licenses:
        header["license_name"] = "mixed; see asset_manifest.jsonl and ATTRIBUTION.md"
    return header


def card_text(con: duckdb.DuckDBPyConnection, profile: str, release_id: str,
              contracts_line: str, previous_release_id: str | None) -> str:
    """The whole README.md of a release."""
    header = card_header(con, profile, release_id)
    description = con.execute("select description, is_gated from release_profiles where release_profile = ?",
                              [profile]).fetchone()
    total = sum(n for _, n in _counts(con, profile, "split"))
    lines = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True).rstrip(), "---", "",
             f"# mmfactory {release_id}", "",
             f"Release profile **{profile}**: {description[0]}.", "",
             f"{total} instruction samples (image-grounded conversations in English and Chinese) "
             "for vision-language model fine-tuning, written by mmfactory from COCO128 photos, "
             "FUNSD forms, SROIE receipts, ChartQA charts and documents and charts rendered from "
             "the COCO photos' annotations.", ""]
    for title, column in (("task type", "task_type"), ("asset type", "asset_type"),
                          ("language", "language"), ("split", "split")):
        lines += [f"## Samples per {title}", ""]
        lines += _table((title, "samples"), _counts(con, profile, column))
    licenses = con.execute(
        "select license_key, count(*) from (select unnest(license_keys) as license_key "
        "from release_assets where release_profile = ?) group by 1 order by 2 desc, 1", [profile]).fetchall()
    lines += ["## Licenses", "",
              "Every image keeps its own license; a derived document or chart carries the most "
              "restrictive terms of the photos it was drawn from (and CC BY 4.0 for the COCO "
              "annotations). `asset_manifest.jsonl` gives each image's license keys, flags and "
              "attribution URLs; `ATTRIBUTION.md` lists every attribution required.", ""]
    lines += _table(("license key", "images"), [(k, n) for k, n in licenses])
    audits = con.execute(
        "select task_type, sample_count, audit_passed_count, round(audit_pass_rate, 3), "
        "review_approved_count, review_rejected_count from report_quality_by_task_type "
        "where task_type in (select task_type from release_samples where release_profile = ? "
        "and is_released) order by task_type", [profile]).fetchall()
    lines += ["## Audits", "",
              "Every sample is audited against its ground truth before it ships (counts against "
              "the annotations, boxes against the referent, document and chart answers against "
              "their fields and tables, CHAIR for descriptions, structure of every record); a "
              "sample reviewers rejected never ships. Pass rates of the whole build:", ""]
    lines += _table(("task type", "audited", "passed", "pass rate", "review approved", "review rejected"),
                    audits)
    lines += [f"Data contracts on this release: {contracts_line}.", ""]
    lines += ["## Files", "",
              "- `train.jsonl`, `val.jsonl`, `smoke_test.jsonl`: canonical records "
              "(`id`, `image` list, `conversations` of `from`/`value` turns); images under `images/`.",
              "- `llava/`, `qwen2vl/`, `qwen25vl/`, `llamafactory/`: the same samples in each "
              "trainer's record shape and box convention.",
              "- `asset_manifest.jsonl`, `ATTRIBUTION.md`, `CHANGELOG.md` / `changelog.json` "
              f"(against {previous_release_id or 'nothing: first release'}), `SHA256SUMS`.", ""]
    lines += ["## Known limitations", "",
              "- Small: built from COCO128 (128 photos) and a handful of forms, receipts and charts.",
              "- Answers are generated from annotations by templates; descriptions list annotated "
              "objects only, and COCO annotations miss objects.",
              "- Chinese text comes from templates and a fixed category dictionary, not from "
              "native writers.",
              "- Rendered documents and charts are synthetic; their layouts are few.",
              "- License terms are taken from the sources' own declarations (COCO's per-image "
              "Flickr licenses); ChartQA's license is unverified and never ships in a gated "
              "profile.", ""]
    lines += ["## How it was made", "",
              "Inputs are landed as Parquet with every image keyed by the sha256 of its bytes; "
              "dbt models on DuckDB normalise the annotations, derive the samples of seven task "
              "types from templates, audit them, assign splits by connected image groups (no "
              "image in two splits), and write the records; Great Expectations contracts check "
              "the result. `mmfactory release` writes only the samples whose every image passes "
              "the profile's license gate; taken-down content is removed from every table.", ""]
    return "\n".join(lines)
