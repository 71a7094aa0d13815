"""`mmfactory release` on a copy of the real build: license gates, contents, card, loading."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from lakehouse.settings import PROJECT_ROOT, Warehouse
from tests.releases.conftest import ok, record_ids, scratch_copy
from tests.warehouses import run_mmfactory


@pytest.fixture(scope="module")
def released(release_source: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the build with the commercial and research releases written."""
    wh = scratch_copy(release_source, tmp_path_factory.mktemp("released") / "warehouse")
    ok(run_mmfactory(wh, "release", "--profile", "commercial"))
    ok(run_mmfactory(wh, "release", "--profile", "research"))
    return wh


def _url_key(url: str | None) -> str | None:
    if not url:
        return None
    return re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/")


def _policy() -> dict[str, dict[str, str]]:
    with (PROJECT_ROOT / "seeds" / "licenses.csv").open(encoding="utf-8", newline="") as handle:
        return {_url_key(r["license_url"]): r for r in csv.DictReader(handle)}


def _manifest(wh: Warehouse, release_id: str) -> list[dict]:
    path = wh.releases / release_id / "asset_manifest.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_commercial_release_has_only_commercially_usable_assets_and_ancestors(released: Warehouse) -> None:
    manifest = _manifest(released, "commercial-1.0.0")
    policy = _policy()
    con = duckdb.connect(str(released.database), read_only=True)
    try:
        assets = {r[0]: r[1:] for r in con.execute(
            "select asset_id, source, license_id, license_url from stg_landing__assets").fetchall()}
        parents: dict[str, set[str]] = {}
        for child, parent in con.execute(
                "select asset_id, parent_asset_id from stg_landing__asset_lineage").fetchall():
            parents.setdefault(child, set()).add(parent)
    finally:
        con.close()
    derived = [a for a in manifest if a["asset_id"] in parents]
    assert manifest and derived, "the commercial release holds COCO photos and derived assets"
    for asset in manifest:
        todo, originals = [asset["asset_id"]], set()
        while todo:  # every original ancestor (the asset itself if it is not derived)
            current = todo.pop()
            todo += parents.get(current, [])
            if current not in parents:
                originals.add(current)
        for original in originals:
            source, license_id, url = assets[original]
            terms = policy.get(_url_key(url))
            assert terms is not None, f"{asset['image']}: ancestor {original} has an unknown license"
            assert terms["is_commercial_ok"] == "true", f"{asset['image']}: {license_id} is not commercial"
            assert terms["is_research_only"] == "false" and terms["is_unknown"] == "false"
            assert "-nc" not in (url or "") and source not in ("funsd", "sroie", "chartqa")
            if original != asset["asset_id"]:
                assert terms["is_no_derivatives"] == "false", f"{asset['image']}: derived from a NoDerivs photo"
        # the render's own license rule agrees: no derived asset's license is NonCommercial
        assert "nc" not in assets[asset["asset_id"]][1].split(":")[-1].split("-")
        assert asset["is_commercial_ok"] and not asset["is_unknown"] and not asset["is_research_only"]


def test_research_release_is_everything_that_passed(released: Warehouse) -> None:
    con = duckdb.connect(str(released.database), read_only=True)
    try:
        passed = {r[0] for r in con.execute("select sample_id from samples").fetchall()}
    finally:
        con.close()
    ids = record_ids(released.releases / "research-1.0.0" / "final_llava_dataset.jsonl")
    assert len(ids) == len(set(ids)) and set(ids) == passed
    commercial = set(record_ids(released.releases / "commercial-1.0.0" / "final_llava_dataset.jsonl"))
    assert commercial and commercial < passed


def test_release_files_are_the_exports_records_restricted_to_the_release(released: Warehouse) -> None:
    release = released.releases / "commercial-1.0.0"
    kept = set(record_ids(release / "final_llava_dataset.jsonl"))
    for rel in ("train.jsonl", "val.jsonl", "qwen2vl/train.jsonl", "qwen25vl/val.jsonl",
                "llamafactory/train.jsonl", "llava_alignment.jsonl"):
        exported = [line for line in (released.exports / rel).read_text(encoding="utf-8").splitlines()
                    if json.loads(line)["id"] in kept]
        assert (release / rel).read_text(encoding="utf-8").splitlines() == exported, rel
    llava = json.loads((release / "llava" / "train.json").read_text(encoding="utf-8"))
    assert llava and {r["id"] for r in llava} <= kept
    # every image a record names is in the release, and the manifest has its sha256
    manifest = {a["image"]: a for a in _manifest(released, "commercial-1.0.0")}
    for line in (release / "final_llava_dataset.jsonl").read_text(encoding="utf-8").splitlines():
        for image in json.loads(line)["image"]:
            data = (release / "images" / image).read_bytes()
            assert hashlib.sha256(data).hexdigest() == manifest[image]["asset_id"]
    attribution = (release / "ATTRIBUTION.md").read_text(encoding="utf-8")
    required = [a for a in manifest.values() if a["is_attribution_required"]]
    assert required
    for asset in required:
        for url in asset["attribution_urls"]:
            assert url in attribution


def test_checksums_cover_every_file(released: Warehouse) -> None:
    release = released.releases / "commercial-1.0.0"
    listed = {}
    for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"}
    for rel, digest in listed.items():
        assert hashlib.sha256((release / rel).read_bytes()).hexdigest() == digest, rel


def test_dataset_card_parses_and_release_loads_offline(released: Warehouse, tmp_path: Path) -> None:
    from huggingface_hub import DatasetCard

    release = released.releases / "commercial-1.0.0"
    card = DatasetCard.load(release / "README.md")
    assert card.data.license and "unknown" not in card.data.license
    assert set(card.data.language) == {"en", "zh"}
    assert card.data.task_categories and card.data.size_categories == ["n<1K"]
    assert [f["split"] for f in card.data.configs[0]["data_files"]] == ["train", "validation"]
    assert "## Samples per task type" in card.text and "## Audits" in card.text
    script = ("import datasets, json, sys\n"
              "d = datasets.load_dataset(sys.argv[1])\n"
              "print(json.dumps({k: v.num_rows for k, v in d.items()}))\n")
    env = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", script, str(release)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rows == {"train": len(record_ids(release / "train.jsonl")),
                    "validation": len(record_ids(release / "val.jsonl"))}


def test_release_refuses_bad_input_and_never_overwrites(released: Warehouse) -> None:
    for args, words in ((("--profile", "nope"), "not a release profile"),
                        (("--profile", "research", "--version", "1.x"), "not X.Y.Z"),
                        (("--profile", "research", "--version", "1.0.0"), "exists already")):
        proc = run_mmfactory(released, "release", *args)
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in released.releases.iterdir()) == ["commercial-1.0.0", "research-1.0.0"]


def test_release_is_refused_when_a_contract_failed(release_source: Warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(release_source, tmp_path / "warehouse")
    results_path = wh.exports / "p3_test_results.json"
    results = json.loads(results_path.read_text(encoding="utf-8"))
    total = results["summary"]["total"]  # however many contracts there are
    results["summary"].update(passed=total - 1, status="FAIL")
    results_path.write_text(json.dumps(results), encoding="utf-8")
    proc = run_mmfactory(wh, "release", "--profile", "commercial")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{total - 1} / {total} FAIL" in proc.stderr and "refused" in proc.stderr
    assert not wh.releases.exists() or not any(wh.releases.iterdir())
