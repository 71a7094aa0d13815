// The review page's behaviour: reviewer name, verdicts (JSON + session token), keyboard
// shortcuts, zoom and the box toggle. Text from the server is only ever set as text.
"use strict";

const TOKEN = document.querySelector('meta[name="review-token"]').content;
const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4];
let zoom = null; // null = fit the column

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Review-Token": TOKEN},
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: "the server sent no JSON"}; }
  return {ok: response.ok, status: response.status, data};
}

function say(id, text, isError) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("error", !!isError);
}

function setupReviewer() {
  const form = document.getElementById("reviewer-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = document.getElementById("reviewer-name").value.trim();
    const result = await postJson("/api/reviewer", {reviewer: name});
    if (result.ok) { window.location.reload(); } else { say("reviewer-message", result.data.error, true); }
  });
}

function applyZoom() {
  const label = document.getElementById("zoom-level");
  document.querySelectorAll(".stage").forEach((stage) => {
    const natural = Number(stage.dataset.naturalWidth);
    stage.style.width = zoom === null ? "" : Math.round(natural * zoom) + "px";
    stage.classList.toggle("zoomed", zoom !== null);
  });
  if (label) label.textContent = zoom === null ? "fit" : Math.round(zoom * 100) + "%";
}

function stepZoom(direction) {
  const first = document.querySelector(".stage");
  if (!first) return;
  const img = first.querySelector("img");
  const current = zoom === null ? img.clientWidth / Number(first.dataset.naturalWidth) : zoom;
  const candidates = direction > 0 ? ZOOMS.filter((z) => z > current + 1e-6)
                                   : ZOOMS.filter((z) => z < current - 1e-6).reverse();
  if (candidates.length) { zoom = candidates[0]; applyZoom(); }
}

function setupViewer() {
  const toggle = document.getElementById("toggle-boxes");
  if (!toggle) return;
  const images = document.getElementById("images");
  toggle.addEventListener("change", () => images.classList.toggle("boxes-hidden", !toggle.checked));
  document.getElementById("zoom-in").addEventListener("click", () => stepZoom(1));
  document.getElementById("zoom-out").addEventListener("click", () => stepZoom(-1));
  document.getElementById("zoom-fit").addEventListener("click", () => { zoom = null; applyZoom(); });
}

function chooseVerdict(value) {
  const radio = document.getElementById("verdict-" + value);
  if (!radio) return;
  radio.checked = true;
  const errorType = document.getElementById("error-type");
  if (value === "approve") { errorType.value = ""; submitVerdict(); } else { errorType.focus(); }
}

async function submitVerdict() {
  const form = document.getElementById("verdict-form");
  const chosen = form.querySelector('input[name="verdict"]:checked');
  if (!chosen) { say("verdict-message", "choose approve (a), reject (r) or needs-fix (f)", true); return; }
  const body = {
    sample_id: form.dataset.sampleId,
    verdict: chosen.value,
    error_type: document.getElementById("error-type").value || null,
    note: document.getElementById("note").value,
  };
  const button = document.getElementById("submit-verdict");
  button.disabled = true;
  const result = await postJson("/api/verdicts", body);
  button.disabled = false;
  if (result.ok) {
    const d = result.data;
    say("verdict-message", `recorded: ${d.verdict} (${d.role.replace("_", " ")}) as ${d.reviewer}; ` +
        "run `mmfactory build` to apply", false);
    const status = document.getElementById("sample-status");
    status.textContent = d.status.replace(/_/g, " ");
    status.className = "tag status status-" + d.status;
    document.body.dataset.lastVerdict = d.file;
  } else {
    say("verdict-message", result.data.error || ("refused (" + result.status + ")"), true);
  }
}

function setupVerdicts() {
  const form = document.getElementById("verdict-form");
  if (!form) return;
  form.addEventListener("submit", (event) => { event.preventDefault(); submitVerdict(); });
}

function follow(id) {
  const link = document.getElementById(id);
  if (link) window.location.href = link.href;
}

function setupKeys() {
  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey && event.key === "Enter" && document.getElementById("verdict-form")) {
      event.preventDefault(); submitVerdict(); return;
    }
    if (["input", "textarea", "select"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      a: () => chooseVerdict("approve"), r: () => chooseVerdict("reject"), f: () => chooseVerdict("needs_fix"),
      n: () => follow("next"), j: () => follow("next"), ArrowRight: () => follow("next"),
      p: () => follow("previous"), k: () => follow("previous"), ArrowLeft: () => follow("previous"),
      h: () => { const t = document.getElementById("toggle-boxes"); if (t) { t.click(); } },
      "+": () => stepZoom(1), "=": () => stepZoom(1), "-": () => stepZoom(-1),
      "0": () => { zoom = null; applyZoom(); },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupReviewer(); setupViewer(); setupVerdicts(); setupKeys();
});
