"""The review page end to end, in a real browser (Debian's Chromium via Playwright), over
a scratch copy of the session's real build.

Reviewers open the queue and a grounding sample; the boxes drawn over the image sit where
the source box and the answer's box are, scaled to the displayed image (at fit and when
zoomed); `r`, an error type and submit land a reject at once. A second sample is approved
by one reviewer and rejected blind by another: it shows in arbitration. A Label Studio
export round-trips. Then ONE rebuild (`mmfactory build --no-land`): it rebuilds only what
reads the verdicts, and its exports equal, file for file (sha256), those of the full build
run right after it; the rejected sample has left `samples` and every export and joined the
failure library, the disagreement waits for an arbiter, and the page shows the new state.
Refusals: a note with markup shows as text, a path traversal and an unknown asset id 404, a
write without the session token (or from another origin) is refused, an invalid reviewer
name too; two reviewers at once both land.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request

import duckdb
import pyarrow.parquet as pq
import pytest

from expectations.suites import CHECK_COUNT
from lakehouse.build_state import export_digests
from lakehouse.landing import landed_files
from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from lakehouse.tables.quality import FAILURE_LIBRARY_TABLE, REVIEW_VERDICTS_TABLE
from review.state import read_states
from tests.review.conftest import ARTEFACTS
from tests.warehouses import run_mmfactory

GEOMETRY_JS = """() => [...document.querySelectorAll('figure.figure')].map((figure) => {
  const img = figure.querySelector('img.sample-image');
  const r = img.getBoundingClientRect();
  return {img: {x: r.x, y: r.y, width: r.width, height: r.height,
                naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight},
          boxes: [...figure.querySelectorAll('rect.box-rect')].map((rect) => {
            const q = rect.getBoundingClientRect();
            return {kind: rect.dataset.kind, x: q.x, y: q.y, width: q.width, height: q.height,
                    visible: q.width > 0 && getComputedStyle(rect.ownerSVGElement).display !== 'none'};
          })};
})"""


def _sql(wh: Warehouse, query: str, params=None) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def _landed_verdicts(wh: Warehouse) -> list[dict]:
    return [row for path in landed_files(wh, REVIEW_VERDICTS_TABLE) for row in pq.read_table(path).to_pylist()]


def _queue_ids(page, base: str, query: str) -> list[str]:
    page.goto(f"{base}/?{query}")
    return page.eval_on_selector_all("#queue tbody tr", "rows => rows.map(r => r.dataset.sampleId)")


def _new_page(browser, base: str, reviewer: str | None = None):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.goto(base + "/")
    if reviewer:
        page.fill("#reviewer-name", reviewer)
        with page.expect_navigation():  # the page reloads once the name is set
            page.click("#set-reviewer")
        assert page.input_value("#reviewer-name") == reviewer
    return page


IMAGES_LOADED = "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"


def _wait(page, predicate: str, timeout_s: float = 20) -> None:
    """Poll ``predicate`` (page.wait_for_function would need eval, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        time.sleep(0.05)


def _open_sample(page, base: str, sample_id: str) -> None:
    page.goto(f"{base}/samples/{sample_id}?task_type=region_grounding")
    _wait(page, IMAGES_LOADED)


def _expected_boxes(wh: Warehouse, sample_id: str) -> dict[str, tuple[float, float, float, float]]:
    """The source COCO box and the answer's grid box in stored pixels, from the lakehouse."""
    (x, y, w, h, ymin, xmin, ymax, xmax, width, height), = _sql(wh, """
        select a.bbox_x_px, a.bbox_y_px, a.bbox_w_px, a.bbox_h_px, t.grid_ymin, t.grid_xmin, t.grid_ymax,
               t.grid_xmax, s.width_px, s.height_px
        from int_samples_templated t
        join stg_coco__annotations a on a.annotation_id = t.annotation_id
        join stg_landing__assets s on s.asset_id = t.source_asset_ids[1]
        where t.sample_id = ?""", [sample_id])
    return {"source": (x, y, x + w, y + h),
            "answer": (xmin / 1000 * width, ymin / 1000 * height, xmax / 1000 * width, ymax / 1000 * height)}


def _assert_overlay(geometry: list[dict], expected: dict[str, tuple[float, float, float, float]]) -> None:
    (figure,) = geometry
    img = figure["img"]
    scale_x, scale_y = img["width"] / img["naturalWidth"], img["height"] / img["naturalHeight"]
    drawn = {b["kind"]: b for b in figure["boxes"]}
    assert set(drawn) == set(expected)
    for kind, (x1, y1, x2, y2) in expected.items():
        box = drawn[kind]
        assert box["x"] == pytest.approx(img["x"] + x1 * scale_x, abs=0.5), kind
        assert box["y"] == pytest.approx(img["y"] + y1 * scale_y, abs=0.5), kind
        assert box["x"] + box["width"] == pytest.approx(img["x"] + x2 * scale_x, abs=0.5), kind
        assert box["y"] + box["height"] == pytest.approx(img["y"] + y2 * scale_y, abs=0.5), kind


def _cli(wh: Warehouse, *args: str):
    """The `mmfactory` command in this process (the rebuild runs as a child process)."""
    from typer.testing import CliRunner

    from mmfactory.cli import app

    return CliRunner().invoke(app, list(args), env={WAREHOUSE_ENV: str(wh.root)})


def _post(base: str, path: str, body, token: str | None = None, reviewer: str | None = None,
          content_type: str = "application/json", origin: str | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST")
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("X-Review-Token", token)
    if reviewer:
        request.add_header("Cookie", f"mmfactory_reviewer={reviewer}")
    if origin:
        request.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _get_status(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def token(server: str) -> str:
    with urllib.request.urlopen(server + "/", timeout=30) as response:
        html = response.read().decode()
    return html.split('name="review-token" content="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="module")
def grounding_ids(browser, server: str) -> list[str]:
    page = _new_page(browser, server)
    ids = _queue_ids(page, server, "task_type=region_grounding")
    page.context.close()
    assert len(ids) >= 6
    return ids


@pytest.fixture(scope="module")
def rejected_in_browser(browser, server: str, review_warehouse: Warehouse, grounding_ids: list[str]) -> dict:
    """ann opens the first grounding sample from the queue, measures the overlay, zooms,
    hides the boxes, takes the screenshot, then rejects it with r + an error type."""
    wh = review_warehouse
    page = _new_page(browser, server)
    page.goto(server + "/?task_type=region_grounding")
    with page.expect_navigation():
        page.click("#queue a.sample-link >> nth=0")
    _wait(page, IMAGES_LOADED)
    sample_id = page.inner_text("#sample-id")
    observed = {"sample_id": sample_id, "at_fit": page.evaluate(GEOMETRY_JS)}
    page.click("#zoom-in")
    page.click("#zoom-in")
    observed["zoom_label"] = page.inner_text("#zoom-level")
    observed["zoomed"] = page.evaluate(GEOMETRY_JS)
    page.click("#zoom-fit")
    page.keyboard.press("h")
    observed["hidden"] = page.evaluate(GEOMETRY_JS)
    page.keyboard.press("h")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    observed["screenshot"] = ARTEFACTS / "review_sample_view.png"
    page.screenshot(path=str(observed["screenshot"]), full_page=True)
    observed["before"] = len(_landed_verdicts(wh))
    page.keyboard.press("r")
    observed["focused"] = page.evaluate("document.activeElement.id")
    page.select_option("#error-type", "grounding_offset")
    page.fill("#note", "the box is on the next car")
    page.click("#submit-verdict")
    page.wait_for_selector("#verdict-message:has-text('recorded')")
    observed["message"] = page.inner_text("#verdict-message")
    page.context.close()
    return observed


@pytest.fixture(scope="module")
def dual_review(browser, server: str, grounding_ids: list[str], rejected_in_browser: dict) -> dict:
    """ann approves the second grounding sample (key a), bob reviews it blind and rejects;
    cy, a third reviewer, finds it in arbitration with both verdicts."""
    sample_id = next(s for s in grounding_ids if s != rejected_in_browser["sample_id"])
    seen: dict = {"sample_id": sample_id}
    ann = _new_page(browser, server)
    _open_sample(ann, server, sample_id)
    ann.keyboard.press("a")
    ann.wait_for_selector("#verdict-message:has-text('recorded')")
    seen["ann_message"] = ann.inner_text("#verdict-message")
    ann.context.close()
    bob = _new_page(browser, server, "bob")
    _open_sample(bob, server, sample_id)
    seen["bob_role"] = bob.inner_text("#role")
    seen["bob_sees_verdicts"] = bob.locator("#verdict-list li").count()
    seen["bob_status"] = bob.inner_text("#sample-status")
    bob.keyboard.press("r")
    bob.select_option("#error-type", "grounding_offset")
    bob.click("#submit-verdict")
    bob.wait_for_selector("#verdict-message:has-text('recorded')")
    seen["bob_message"] = bob.inner_text("#verdict-message")
    bob.context.close()
    cy = _new_page(browser, server, "cy")
    cy.goto(server + "/arbitration")
    seen["arbitration_ids"] = cy.eval_on_selector_all("#queue tbody tr", "rows => rows.map(r => r.dataset.sampleId)")
    _open_sample(cy, server, sample_id)
    seen["cy_role"] = cy.inner_text("#role")
    seen["cy_sees"] = cy.locator("#verdict-list li").all_inner_texts()
    cy.context.close()
    return seen


@pytest.fixture(scope="module")
def label_studio(review_warehouse: Warehouse, grounding_ids: list[str], tmp_path_factory) -> dict:
    """Export the review sample as Label Studio tasks; import an LS export of two
    annotations (approve, then reject) and a cancelled one for a sample nobody reviewed."""
    wh = review_warehouse
    tmp = tmp_path_factory.mktemp("label_studio")
    exported = _cli(wh, "review", "export", "--format", "label-studio", "--out", str(tmp / "tasks.json"))
    assert exported.exit_code == 0, exported.output
    tasks = json.loads((tmp / "tasks.json").read_text(encoding="utf-8"))
    sample_id = grounding_ids[-1]
    task = next(t for t in tasks if t["data"]["sample_id"] == sample_id)
    annotations = [
        {"id": 1, "completed_by": {"id": 3, "email": "lsa@example.org"}, "was_cancelled": False,
         "created_at": "2025-03-01T10:00:00.000000Z", "updated_at": "2025-03-01T10:00:00.000000Z",
         "result": [{"from_name": "verdict", "to_name": "image", "type": "choices",
                     "value": {"choices": ["approve"]}}]},
        {"id": 2, "completed_by": 7, "was_cancelled": False, "created_at": "2025-03-01T11:00:00.000000Z",
         "result": [{"from_name": "verdict", "to_name": "image", "type": "choices", "value": {"choices": ["reject"]}},
                    {"from_name": "error_type", "to_name": "image", "type": "choices",
                     "value": {"choices": ["grounding_offset"]}},
                    {"from_name": "note", "to_name": "image", "type": "textarea", "value": {"text": ["off by one"]}}]},
        {"id": 3, "completed_by": 9, "was_cancelled": True, "created_at": "2025-03-01T12:00:00.000000Z",
         "result": []},
    ]
    export = tmp / "project-1-at-2025-03-01.json"
    export.write_text(json.dumps([{**task, "id": 1, "annotations": annotations}]), encoding="utf-8")
    imported = _cli(wh, "review", "import", str(export))
    return {"tasks": tasks, "sample_id": sample_id, "import": imported}


@pytest.fixture(scope="module")
def rebuilt(review_warehouse: Warehouse, rejected_in_browser, dual_review, label_studio) -> dict:
    """ONE rebuild of the scratch lakehouse after every verdict above (incremental: only
    what reads the verdicts), then a full build of the same landing; the output and the
    exports of each."""
    wh = review_warehouse
    sample_id = rejected_in_browser["sample_id"]
    before = {"final": sample_id in (wh.exports / "final_llava_dataset.jsonl").read_text(encoding="utf-8"),
              "samples": _sql(wh, "select count(*) from samples where sample_id = ?", [sample_id])[0][0]}
    proc = run_mmfactory(wh, "build", "--no-land", timeout=1500)
    assert proc.returncode == 0, f"rebuild failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    digests = export_digests(wh)
    full = run_mmfactory(wh, "build", "--no-land", "--full", timeout=1500)
    assert full.returncode == 0, f"full build failed:\n{full.stdout[-4000:]}\n{full.stderr[-3000:]}"
    return {"before": before, "build": proc, "digests": digests, "full": full, "full_digests": export_digests(wh)}


# ---- the browser flow --------------------------------------------------------------------
def test_overlay_draws_the_source_and_answer_boxes_where_they_are(rejected_in_browser, review_warehouse):
    observed = rejected_in_browser
    expected = _expected_boxes(review_warehouse, observed["sample_id"])
    _assert_overlay(observed["at_fit"], expected)
    assert observed["zoom_label"] != "fit"
    _assert_overlay(observed["zoomed"], expected)
    fit, zoomed = observed["at_fit"][0]["img"], observed["zoomed"][0]["img"]
    assert zoomed["width"] > fit["width"] * 1.2  # zoom enlarged the image, and the boxes with it
    assert all(not b["visible"] for b in observed["hidden"][0]["boxes"])  # h hides the boxes
    assert all(b["visible"] for b in observed["at_fit"][0]["boxes"])
    assert observed["screenshot"].stat().st_size > 10_000


def test_r_and_an_error_type_land_a_reject_at_once(rejected_in_browser, review_warehouse):
    observed = rejected_in_browser
    assert observed["focused"] == "error-type"
    assert "reject (first review) as ann" in observed["message"]
    landed = _landed_verdicts(review_warehouse)
    assert len(landed) == observed["before"] + 1
    mine = [v for v in landed if v["sample_id"] == observed["sample_id"]]
    assert [(v["reviewer"], v["role"], v["verdict"], v["error_type"], v["note"]) for v in mine] == [
        ("ann", "first_review", "reject", "grounding_offset", "the box is on the next car")]
    assert mine[0]["import_file"] == "review-page" and mine[0]["reviewed_at"].tzinfo is not None


def test_second_review_is_blind_and_a_disagreement_goes_to_arbitration(dual_review):
    seen = dual_review
    assert "approve (first review) as ann" in seen["ann_message"]
    assert seen["bob_role"] == "second review"
    assert seen["bob_sees_verdicts"] == 0 and seen["bob_status"] == "awaiting second review"
    assert "reject (second review) as bob" in seen["bob_message"]
    assert seen["sample_id"] in seen["arbitration_ids"]
    assert seen["cy_role"] == "arbitration"
    assert len(seen["cy_sees"]) == 2
    assert any("by ann: approve" in t for t in seen["cy_sees"]) and any("by bob: reject" in t for t in seen["cy_sees"])


def test_label_studio_export_and_import(label_studio, review_warehouse):
    wh = review_warehouse
    tasks = label_studio["tasks"]
    assert len(tasks) == _sql(wh, "select count(*) from manual_review_samples")[0][0]
    task = next(t for t in tasks if t["data"]["sample_id"] == label_studio["sample_id"])
    assert task["data"]["image"].endswith("/assets/" + _sql(
        wh, "select source_asset_ids[1] from int_samples_templated where sample_id = ?",
        [label_studio["sample_id"]])[0][0])
    (width, height), = _sql(wh, "select width_px, height_px from stg_landing__assets where asset_id = ?",
                            [task["data"]["image"].rsplit("/", 1)[1]])
    x1, y1, x2, y2 = _expected_boxes(wh, label_studio["sample_id"])["source"]
    (source,) = [r for r in task["predictions"][0]["result"] if r["value"]["rectanglelabels"] == ["source"]]
    assert source["value"]["x"] == pytest.approx(x1 / width * 100)
    assert source["value"]["width"] == pytest.approx((x2 - x1) / width * 100)
    assert source["value"]["y"] == pytest.approx(y1 / height * 100)
    assert source["value"]["height"] == pytest.approx((y2 - y1) / height * 100)
    imported = label_studio["import"]
    assert imported.exit_code == 0, imported.output  # 1 would mean a rejected row
    landed = [(v["reviewer"], v["role"], v["verdict"], v["error_type"], v["note"])
              for v in _landed_verdicts(wh) if v["sample_id"] == label_studio["sample_id"]]
    assert sorted(landed) == [("ls-user-7", "second_review", "reject", "grounding_offset", "off by one"),
                              ("lsa@example.org", "first_review", "approve", None, None)]


# ---- after one rebuild -------------------------------------------------------------------
def test_the_rebuild_reads_only_the_verdicts_and_its_exports_equal_a_full_builds(rebuilt):
    build = rebuilt["build"].stdout
    assert "the warehouse moved from " not in build  # the page's first verdict re-pointed the copy
    dbt_line = next(line for line in build.splitlines() if line.startswith("dbt:"))
    assert dbt_line.startswith("dbt: landed table(s) changed: ") and "review_verdicts" in dbt_line
    assert "rebuilding only what reads them" in dbt_line and "stage dbt" in build
    # the reject is a new failure: counted by the one dbt run, then recorded
    assert "failure library: 1 new failure(s) recorded" in build and "stage failure_library" in build
    full = rebuilt["full"].stdout
    assert "rebuilding everything" in full and "failure library: 0 new failure(s) recorded" in full
    digests, full_digests = rebuilt["digests"], rebuilt["full_digests"]
    assert len(full_digests) > 40
    assert {k: v for k, v in digests.items() if full_digests.get(k) != v} == {}
    assert digests == full_digests


def test_rebuild_takes_the_rejected_sample_out_and_into_the_failure_library(rebuilt, rejected_in_browser,
                                                                          review_warehouse):
    wh = review_warehouse
    sample_id = rejected_in_browser["sample_id"]
    assert rebuilt["before"] == {"final": True, "samples": 1}
    assert _sql(wh, "select count(*) from samples where sample_id = ?", [sample_id]) == [(0,)]
    for path in wh.exports.rglob("*.json*"):
        if path.is_file() and not path.name.startswith("p3_"):
            assert sample_id not in path.read_text(encoding="utf-8"), path
    library = [r for p in landed_files(wh, FAILURE_LIBRARY_TABLE) for r in pq.read_table(p).to_pylist()
               if r["sample_id"] == sample_id]
    assert [(r["error_type"], r["flag_sources"]) for r in library] == [("grounding_offset", ["review"])]
    assert _sql(wh, "select review_status, is_shippable from manual_review_samples where sample_id = ?",
                [sample_id]) == [("rejected", False)]
    assert f"Project checks: {CHECK_COUNT} / {CHECK_COUNT} PASS" in rebuilt["build"].stdout


def test_rebuild_keeps_disagreements_out_until_arbitrated(rebuilt, dual_review, label_studio, review_warehouse):
    wh = review_warehouse
    for sample_id in (dual_review["sample_id"], label_studio["sample_id"]):
        assert _sql(wh, "select review_status, next_review_role from manual_review_samples where sample_id = ?",
                    [sample_id]) == [("needs_arbitration", "arbitration")]
        assert _sql(wh, "select count(*) from samples where sample_id = ?", [sample_id]) == [(0,)]


def test_live_state_resolves_like_the_build(rebuilt, review_warehouse):
    """The page's live resolution of the landed verdicts equals int_sample_verdicts_resolved's."""
    wh = review_warehouse
    built = dict(_sql(wh, "select sample_id, review_status from int_sample_verdicts_resolved"))
    live = {s: state.status for s, state in read_states(wh).items()}
    assert len(built) >= 3 and live == built


def test_the_page_shows_the_rebuilt_state(rebuilt, browser, server, rejected_in_browser, dual_review):
    page = _new_page(browser, server)
    page.goto(server + "/?task_type=region_grounding")
    row = page.locator(f"#queue tr[data-sample-id='{rejected_in_browser['sample_id']}']")
    assert row.get_attribute("data-status") == "rejected"
    assert "rebuild to apply" not in row.inner_text()
    assert row.locator("td").last.inner_text() == "no"
    page.goto(server + "/arbitration")
    ids = page.eval_on_selector_all("#queue tbody tr", "rows => rows.map(r => r.dataset.sampleId)")
    assert dual_review["sample_id"] in ids
    page.context.close()


# ---- refusals ----------------------------------------------------------------------------
def test_a_note_with_markup_is_stored_and_shown_as_text(browser, server, grounding_ids, review_warehouse):
    note = '<script>window.__xss = 1</script><img src="/x" onerror="window.__xss = 2"><b id="bold">x</b>'
    page = _new_page(browser, server, "eve")
    _open_sample(page, server, grounding_ids[2])
    page.keyboard.press("f")
    page.select_option("#error-type", "format_error")
    page.fill("#note", note)
    page.click("#submit-verdict")
    page.wait_for_selector("#verdict-message:has-text('recorded')")
    _open_sample(page, server, grounding_ids[2])
    assert page.inner_text("#verdict-list .note") == note
    assert page.locator("#verdict-list .note *").count() == 0
    assert page.evaluate("window.__xss") is None and page.locator("#bold").count() == 0
    page.context.close()
    stored = [v["note"] for v in _landed_verdicts(review_warehouse) if v["reviewer"] == "eve"]
    assert stored == [note]


def test_a_document_page_shows_its_ocr_read_or_the_layout_sample_it_was_judged_by(
        server, review_warehouse):
    rows = _sql(review_warehouse, """
        select u.usability_basis, any_value(m.sample_id), any_value(u.layout_read_count)
        from manual_review_samples m
        join samples s using (sample_id)
        join int_ocr_usability_resolved u on u.asset_id = s.source_asset_ids[1]
        where m.task_type in ('document_qa', 'ocr_summary')
        group by u.usability_basis""")
    shown = {basis: (sample_id, reads) for basis, sample_id, reads in rows}
    assert set(shown) == {"read", "layout_sample"}, shown
    pages = {}
    for basis, (sample_id, _) in shown.items():
        with urllib.request.urlopen(f"{server}/samples/{sample_id}", timeout=30) as response:
            pages[basis] = " ".join(response.read().decode().split())
    read_page, sampled_page = pages["read"], pages["layout_sample"]
    assert "OCR text <small>(char recall" in read_page and "ocr-sampled" not in read_page
    assert "Not read: a drawn page, judged by its layout's sample of" in sampled_page
    assert f"sample of {shown['layout_sample'][1]} read(s)" in sampled_page
    assert 'class="ocr-text"' not in sampled_page


def test_assets_only_by_registered_id(server, review_warehouse):
    (asset_id,) = _sql(review_warehouse, "select asset_id from stg_landing__assets order by asset_id limit 1")[0]
    with urllib.request.urlopen(f"{server}/assets/{asset_id}", timeout=30) as response:
        assert hashlib.sha256(response.read()).hexdigest() == asset_id
    for path in ("/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/assets/../../../etc/passwd",
                 "/assets/%2Fetc%2Fpasswd", "/assets/" + "0" * 64, "/assets/" + asset_id[:-1],
                 "/static/..%2F..%2Fpyproject.toml", "/static/../../pyproject.toml"):
        assert _get_status(server, path) == 404, path


def test_writes_without_the_session_token_are_refused(server, token, grounding_ids, review_warehouse):
    before = len(_landed_verdicts(review_warehouse))
    body = {"sample_id": grounding_ids[3], "verdict": "approve"}
    assert _post(server, "/api/verdicts", body)[0] == 403
    assert _post(server, "/api/verdicts", body, token="not-the-token")[0] == 403
    # what a cross-site form can send: no token, form encoding, a foreign origin
    assert _post(server, "/api/verdicts", b"sample_id=x&verdict=approve",
                 content_type="application/x-www-form-urlencoded", origin="http://evil.example")[0] == 403
    assert _post(server, "/api/verdicts", body, token=token, origin="http://evil.example")[0] == 403
    assert _post(server, "/api/reviewer", {"reviewer": "mallory"})[0] == 403
    assert len(_landed_verdicts(review_warehouse)) == before
    # a page of another site whose name was rebound to 127.0.0.1 reaches nothing
    foreign = urllib.request.Request(server + "/", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(foreign, timeout=30)
    assert refused.value.code == 400
    status, answer = _post(server, "/api/reviewer", {"reviewer": "<img src=x>"}, token=token)
    assert status == 400 and "reviewer name" in answer["error"]
    status, answer = _post(server, "/api/verdicts", body, token=token, reviewer="bad name!")  # falls back to ann
    assert status == 200 and answer["reviewer"] == "ann"
    status, answer = _post(server, "/api/verdicts", {"sample_id": grounding_ids[3], "verdict": "reject"},
                           token=token)
    assert status == 400 and "error type" in answer["error"]


def test_two_reviewers_submitting_at_once_both_land(server, token, grounding_ids, review_warehouse):
    sample_id = grounding_ids[4]
    results: dict[str, tuple[int, dict]] = {}
    start = threading.Barrier(2)

    def submit(reviewer: str) -> None:
        start.wait()
        results[reviewer] = _post(server, "/api/verdicts", {"sample_id": sample_id, "verdict": "approve"},
                                  token=token, reviewer=reviewer)

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("dave", "erin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert {r[0] for r in results.values()} == {200}
    assert sorted(r[1]["role"] for r in results.values()) == ["first_review", "second_review"]
    landed = sorted((v["reviewer"], v["role"]) for v in _landed_verdicts(review_warehouse)
                    if v["sample_id"] == sample_id)
    assert [r for r, _ in landed] == ["dave", "erin"] and {role for _, role in landed} == {
        "first_review", "second_review"}
