"""Every number and name the project checks depend on, in one place.

Change the contract here, not in the suites: the expected task and asset types, the
balance the asset pool must keep, the largest share one task type may take, which
review statuses may ship, and the list of deliverables. Nothing here imports Great
Expectations, so the report code and the tests can read it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.export_layout import ASSET_MANIFEST_FILE, IMAGES_DIR, PACKED_DIR, PACKED_SPLITS, PLOTS_DIR
from lakehouse.taxonomy import export_profiles, task_types

# The design documents' seven task types (P03 table P03-3), from seeds/task_types.csv.
TASK_TYPES: tuple[str, ...] = tuple(t.task_type for t in task_types())

# The three kinds of asset in the pool, and the fourth kind of sample: a pair.
ASSET_TYPES: tuple[str, ...] = ("general_image", "document_image", "chart_image")
INTERLEAVED_ASSET_TYPE = "interleaved_pair"
SAMPLE_ASSET_TYPES: tuple[str, ...] = (*ASSET_TYPES, INTERLEAVED_ASSET_TYPE)

SPLITS: tuple[str, ...] = ("train", "val")
LANGUAGES: tuple[str, ...] = ("en", "zh")
RECORD_SETS: tuple[str, ...] = ("instruct", "alignment", "interleaved")
# review_status of a candidate sample (quality layer: int_sample_verdicts_resolved)
REVIEW_STATUSES: tuple[str, ...] = ("unreviewed", "approved", "rejected", "needs_arbitration")
# The quality layer's verdict per candidate sample (shipped or not): is_audit_passed,
# review_status, is_shippable by sample_id.
AUDIT_RELATION = "quality_audit"

# The balanced core: the pool of equal counts per asset type that feeds the per-type tasks
# (render/balance.py). Photos beyond it (all but 128 of a 118k-photo corpus by default)
# still feed the per-photo tasks; the balance rule is judged on the core, and the photos
# beyond it are reported, not counted against the balance.
POOL_RELATION = "stg_landing__asset_pool"

GROUNDING_TASK = "region_grounding"
COMPARISON_TASK = "multi_image_comparison"
IMAGE_TOKEN = "<image>"
GRID_MAX = 1000


@dataclass(frozen=True)
class Deliverable:
    """One thing the build must deliver: a relation in the lakehouse and/or a file under
    exports/. It is present when every location given exists and holds at least one row
    (or, for a JSON object file, at least one key), unless ``allow_empty``."""

    name: str
    relation: str | None = None
    file: str | None = None
    note: str = ""
    # True for a deliverable whose emptiness is a legitimate result (no flagged sample)
    allow_empty: bool = False


# The design documents' deliverables (P03 section 23). The quality layer is delivered as
# dbt models; add a `file` to those entries if they are also exported.
DELIVERABLES: tuple[Deliverable, ...] = (
    Deliverable("asset_manifest", relation="asset_records", file=ASSET_MANIFEST_FILE),
    Deliverable("instruct_set", file="llava_instruct.jsonl"),
    Deliverable("alignment_set", file="llava_alignment.jsonl"),
    Deliverable("interleaved_set", file="llava_interleaved.jsonl"),
    Deliverable("quality_audit", relation="quality_audit"),
    # one row per failed audit check or reviewer rejection: a build where every sample
    # passed has none, so it must exist but may be empty (P03 shipped a 100% pass rate
    # with its low_quality_flags file)
    Deliverable("low_quality_flags", relation="low_quality_flags", allow_empty=True),
    Deliverable("manual_review_samples", relation="manual_review_samples"),
    Deliverable("visual_audit", relation="qa_visual_audit"),
    Deliverable("final_dataset", relation="training_records", file="final_llava_dataset.jsonl"),
    Deliverable("train", file="train.jsonl"),
    Deliverable("val", file="val.jsonl"),
    Deliverable("smoke", file="smoke_test.jsonl"),
    Deliverable("training_manifest", relation="training_manifest", file="training_manifest.json"),
    Deliverable("metrics", file="p3_metrics.json", note="written by `mmfactory report`"),
)

# The canonical record files (LLaVA conversation form, `image` always a list).
FINAL_FILE = "final_llava_dataset.jsonl"
SPLIT_FILES: dict[str, str] = {"train": "train.jsonl", "val": "val.jsonl"}
SMOKE_FILE = "smoke_test.jsonl"
RECORD_SET_FILES: dict[str, str] = {
    "instruct": "llava_instruct.jsonl",
    "alignment": "llava_alignment.jsonl",
    "interleaved": "llava_interleaved.jsonl",
}
CANONICAL_FILES: tuple[str, ...] = (FINAL_FILE, *SPLIT_FILES.values(), SMOKE_FILE, *RECORD_SET_FILES.values())
# Trainer profiles: exports/<profile>/{train,val,smoke_test}.json(l)
PROFILE_DIRS: tuple[str, ...] = tuple(p.export_profile for p in export_profiles())
# The packed multi-turn set (expectations/suites/packing.py)
PACKED_FILES: tuple[str, ...] = tuple(f"{PACKED_DIR}/{split}.jsonl" for split in PACKED_SPLITS)
MANIFEST_FILE = "training_manifest.json"
METRICS_FILE = "p3_metrics.json"
TEST_RESULTS_FILE = "p3_test_results.json"
TEST_REPORT_FILE = "p3_test_report.md"
REPORT_FILE = "p3_report.md"

# Files under exports/ that are not record files (never read as records, and not
# expected in the manifest's file list).
NON_RECORD_FILES: frozenset[str] = frozenset({
    MANIFEST_FILE, METRICS_FILE, TEST_RESULTS_FILE, TEST_REPORT_FILE, REPORT_FILE,
    *(f"{p.export_profile}/dataset_info.json" for p in export_profiles() if p.is_llamafactory_dataset),
})
NON_RECORD_DIRS: frozenset[str] = frozenset({IMAGES_DIR, PLOTS_DIR})


@dataclass(frozen=True)
class CheckConfig:
    """The tunable part of the contract; `DEFAULT_CONFIG` is what `mmfactory check` uses."""

    task_types: tuple[str, ...] = TASK_TYPES
    asset_types: tuple[str, ...] = ASSET_TYPES
    sample_asset_types: tuple[str, ...] = SAMPLE_ASSET_TYPES
    # P13's rule: no task type above 40% of the records of the balanced core (records whose
    # every asset is a pool member); records of photos beyond the pool are reported beside it.
    max_task_type_share: float = 0.40
    # The asset pool is balanced (P03: 29 of each of the three types): within the balanced
    # core (the manifest's assets that are members of POOL_RELATION), each type's share
    # must lie within this many points of an equal share (1/3). Manifest assets outside
    # the core (photos beyond the pool, used by per-photo tasks) are reported beside it.
    asset_balance_tolerance: float = 0.10
    # Interleaved (multi-image) samples that must be in the dataset at least.
    min_interleaved_records: int = 1
    # A comparison record needs this many distinct images at least.
    min_comparison_images: int = 2
    # Grounding: how far (in grid cells) a box may sit from its source box mapped to the grid.
    max_backmap_error_cells: float = 0.5
    # A trainer profile's box, mapped back to pixels, overlaps its source box at least this
    # much (the build leaves out of a profile the samples below it: dbt var
    # profile_box_min_iou, the same 0.9).
    min_profile_box_iou: float = 0.9
    # Review statuses that may ship (an audited sample nobody spot-checked may ship; a
    # rejected one, or one whose reviewers disagree and await arbitration, may not).
    shippable_review_statuses: tuple[str, ...] = ("unreviewed", "approved")
    languages: tuple[str, ...] = LANGUAGES
    deliverables: tuple[Deliverable, ...] = DELIVERABLES
    # True (`mmfactory check --hash-every-image`): check 6 reads every exported image.
    # False: an image unchanged since the last check of this warehouse hashed it (same
    # device, inode, size and modification time, lakehouse/file_digests.py) keeps that sha256.
    hash_every_image: bool = False
    # How many offending ids the table and the reports show per check.
    shown_offenders: int = 5
    # Sample id shape (stable_id('s_', ...) in macros/hashing.sql).
    sample_id_regex: str = r"^s_[0-9a-f]{20}$"

    @property
    def asset_share_bounds(self) -> tuple[float, float]:
        equal = 1.0 / len(self.asset_types)
        return max(0.0, equal - self.asset_balance_tolerance), min(1.0, equal + self.asset_balance_tolerance)


DEFAULT_CONFIG = CheckConfig()
