"""The review page: a Starlette app over one warehouse, read-only except for verdicts.

Routes:
- ``GET /``: the queue (``manual_review_samples``) with filters (task type, asset type,
  language, split, review status), risk sort and progress per stratum;
  ``GET /arbitration``: the samples whose first and second reviews disagree.
- ``GET /samples/{sample_id}``: the sample view (images with boxes, conversation, audit
  evidence, OCR / ground-truth text, verdicts the reviewer may see, the verdict form).
- ``GET /assets/{asset_id}``: an image, by registered asset id only (404 otherwise).
- ``POST /api/verdicts`` and ``POST /api/reviewer``: JSON bodies, and the page's session
  token in the ``X-Review-Token`` header (a cross-site form cannot send it); the reviewer
  is a validated name kept in a cookie. Requests naming another Host than the loopback
  names (or the address served) are refused.

Verdicts land at once through ``quality.review_verdicts.record_verdict`` (one file each).
Reads and writes run in worker threads; choosing the role and writing it happen under one
in-process lock, so two reviewers who submit at once both land, each with the role that
was free.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import pyarrow as pa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from lakehouse.landing import utc_now
from lakehouse.settings import Warehouse
from lakehouse.taxonomy import error_types
from quality.review_verdicts import VERDICTS, ReviewFileError, VerdictRefused, record_verdict
from review import reads
from review.assets import asset_file
from review.state import SampleState, read_states

HERE = Path(__file__).resolve().parent
REVIEWER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
REVIEWER_COOKIE = "mmfactory_reviewer"
TOKEN_HEADER = "x-review-token"
NOTE_MAX_CHARS = 4000
STATUSES: tuple[str, ...] = ("unreviewed", "awaiting_second_review", "needs_arbitration", "approved",
                             "rejected", "mine")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def valid_reviewer(name: str | None) -> str | None:
    """``name`` stripped when it is a valid reviewer name (1-64 of letters, digits, ``.``,
    ``_``, ``@``, ``-``, starting with a letter or digit), else None."""
    name = (name or "").strip()
    return name if REVIEWER_NAME.match(name) else None


class _SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(wh: Warehouse, reviewer: str | None = None, token: str | None = None,
               hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> Starlette:
    """The review app over ``wh``. ``reviewer`` is the name used until the page sets
    another; ``token`` the session token (a fresh random one by default); ``hosts`` the
    Host headers answered (loopback names: a page of another site that rebinds its name to
    127.0.0.1 gets a 400, never the token)."""
    token = token or secrets.token_urlsafe(32)
    # pyarrow imports pandas the first time it converts an aware datetime: pay that here,
    # not on the first reviewer's first verdict (seconds on a cold machine)
    pa.array([utc_now()], pa.timestamp("us", tz="UTC"))
    default_reviewer = valid_reviewer(reviewer)
    write_lock = threading.Lock()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    templates = Jinja2Templates(env=env)
    taxonomy = list(error_types())

    def current_reviewer(request: Request) -> str | None:
        return valid_reviewer(request.cookies.get(REVIEWER_COOKIE)) or default_reviewer

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {"token": token, "reviewer": current_reviewer(request), "warehouse": str(wh.root)}
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    def unavailable(request: Request, exc: Exception) -> Response:
        return page(request, "error.html", {"title": "Lakehouse unavailable", "message": str(exc)}, 503)

    def queue_rows(request: Request, params: dict[str, str]) -> tuple[list[dict], list[dict], dict]:
        who = current_reviewer(request) or ""
        rows = reads.queue(wh, params.get("sort", "margin"))
        states = read_states(wh)
        for row in rows:
            state = states.get(row["sample_id"], SampleState(row["sample_id"]))
            row["status"] = state.shown_status(who)
            role = state.role_for(who) if who else None
            row["owed_role"] = role if role and role not in state.roles_of(who) else None
            mine = [v for v in state.verdicts if v.reviewer == who]
            row["my_verdict"] = max(mine, key=lambda v: v.reviewed_at).verdict if mine else None
            row["verdict_count"] = len(state.verdicts)
            row["is_pending_rebuild"] = state.status != row["built_review_status"]
            blind = role in ("first_review", "second_review") and state.verdicts and not mine
            row["in_dataset"] = None if blind else row["is_shippable"]
        strata = Counter((r["task_type"], r["asset_type"]) for r in rows)
        reviewed = Counter((r["task_type"], r["asset_type"]) for r in rows if r["verdict_count"])
        settled = Counter((r["task_type"], r["asset_type"]) for r in rows
                          if states.get(r["sample_id"]) and states[r["sample_id"]].resolution
                          in ("agreement", "arbitration"))
        progress = [{"task_type": t, "asset_type": a, "total": n, "reviewed": reviewed[(t, a)],
                     "settled": settled[(t, a)]} for (t, a), n in sorted(strata.items())]
        options = {f: sorted({r[f] for r in rows if r[f]}) for f in reads.FILTERS}
        for f in reads.FILTERS:
            if params.get(f):
                rows = [r for r in rows if r[f] == params[f]]
        status = params.get("status")
        if status == "mine":
            rows = [r for r in rows if r["owed_role"]]
        elif status:
            rows = [r for r in rows if r["status"] == status]
        return rows, progress, options

    def filter_params(request: Request) -> dict[str, str]:
        keys = (*reads.FILTERS, "status", "sort")
        return {k: request.query_params[k] for k in keys if request.query_params.get(k)}

    def queue_page(request: Request) -> Response:
        params = filter_params(request)
        if request.url.path == "/arbitration":
            params["status"] = "needs_arbitration"
        try:
            rows, progress, options = queue_rows(request, params)
        except reads.LakehouseUnavailable as exc:
            return unavailable(request, exc)
        totals = {"total": sum(p["total"] for p in progress), "reviewed": sum(p["reviewed"] for p in progress),
                  "settled": sum(p["settled"] for p in progress)}
        return page(request, "queue.html", {
            "rows": rows, "progress": progress, "totals": totals, "options": options, "params": params,
            "statuses": STATUSES, "sorts": list(reads.SORTS), "query": urlencode(params),
            "is_arbitration": request.url.path == "/arbitration"})

    def sample_page(request: Request) -> Response:
        sample_id = request.path_params["sample_id"]
        params = filter_params(request)
        who = current_reviewer(request) or ""
        try:
            detail = reads.sample(wh, sample_id)
            if detail is None:
                return page(request, "error.html", {"title": "Not in the review sample",
                                                    "message": f"no sample {sample_id} in manual_review_samples"},
                            404)
            order, _, _ = queue_rows(request, params)
        except reads.LakehouseUnavailable as exc:
            return unavailable(request, exc)
        ids = [r["sample_id"] for r in order]
        at = ids.index(sample_id) if sample_id in ids else -1
        state = read_states(wh).get(sample_id, SampleState(sample_id))
        role = state.role_for(who) if who else None
        return page(request, "sample.html", {
            "s": detail, "verdicts": sorted(state.visible_to(who), key=lambda v: v.reviewed_at),
            "status": state.shown_status(who), "role": role, "error_types": taxonomy,
            "verdict_choices": VERDICTS, "query": urlencode(params),
            "previous_id": ids[at - 1] if at > 0 else None,
            "next_id": ids[at + 1] if 0 <= at < len(ids) - 1 else None,
            "position": at + 1, "queue_size": len(ids)})

    def asset(request: Request) -> Response:
        try:
            found = asset_file(wh, request.path_params["asset_id"])
        except reads.LakehouseUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        if found is None:
            return JSONResponse({"error": "unknown asset id"}, status_code=404)
        path, media = found
        return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})

    async def guarded_json(request: Request) -> dict | Response:
        """The JSON body of a write, or the refusal: a missing or wrong token, a foreign
        origin, or a body that is not a JSON object."""
        sent = request.headers.get(TOKEN_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
            return JSONResponse({"error": "missing or wrong session token: reload the review page"},
                                status_code=403)
        origin = request.headers.get("origin")
        if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
            return JSONResponse({"error": f"cross-site request from {origin} refused"}, status_code=403)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"error": "send JSON (application/json)"}, status_code=415)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        return body

    async def set_reviewer(request: Request) -> Response:
        body = await guarded_json(request)
        if isinstance(body, Response):
            return body
        name = valid_reviewer(str(body.get("reviewer", "")))
        if name is None:
            return JSONResponse({"error": "a reviewer name is 1-64 letters, digits, '.', '_', '@' or '-', "
                                          "starting with a letter or digit"}, status_code=400)
        response = JSONResponse({"reviewer": name})
        response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict")
        return response

    async def post_verdict(request: Request) -> Response:
        body = await guarded_json(request)
        if isinstance(body, Response):
            return body
        who = current_reviewer(request)
        if who is None:
            return JSONResponse({"error": "say who you are first (a reviewer name)"}, status_code=400)
        sample_id = str(body.get("sample_id", ""))
        verdict = str(body.get("verdict", ""))
        error_type = str(body.get("error_type") or "") or None
        note = str(body.get("note") or "")
        if verdict not in VERDICTS:
            return JSONResponse({"error": f"verdict must be one of {', '.join(VERDICTS)}"}, status_code=400)
        if verdict != "approve" and error_type is None:
            return JSONResponse({"error": f"a {verdict} needs an error type"}, status_code=400)
        if verdict == "approve" and error_type is not None:
            return JSONResponse({"error": "an approval takes no error type"}, status_code=400)
        if len(note) > NOTE_MAX_CHARS:
            return JSONResponse({"error": f"the note is longer than {NOTE_MAX_CHARS} characters"}, status_code=400)
        return await run_in_threadpool(land, who, sample_id, verdict, error_type, note)

    def land(who: str, sample_id: str, verdict: str, error_type: str | None, note: str) -> Response:
        """Choose the reviewer's role and land the verdict, under the lock (in a worker thread)."""
        try:
            if not reads.in_review_sample(wh, sample_id):
                return JSONResponse({"error": f"no sample {sample_id!r} in the review sample"}, status_code=404)
            with write_lock:
                state = read_states(wh).get(sample_id, SampleState(sample_id))
                role = state.role_for(who)
                if role is None:
                    return JSONResponse({"error": f"{sample_id} needs no more verdicts (its reviews agree or "
                                                  "an arbiter decided)"}, status_code=409)
                path = record_verdict(wh, sample_id, who, role, verdict, error_type, note or None)
                state = read_states(wh)[sample_id]
        except VerdictRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except (reads.LakehouseUnavailable, ReviewFileError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"sample_id": sample_id, "reviewer": who, "role": role, "verdict": verdict,
                             "status": state.shown_status(who), "file": path.name})

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/favicon.ico", no_icon),
        Route("/", queue_page), Route("/arbitration", queue_page),
        Route("/samples/{sample_id}", sample_page),
        Route("/assets/{asset_id}", asset),
        Route("/api/verdicts", post_verdict, methods=["POST"]),
        Route("/api/reviewer", set_reviewer, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
                                                Middleware(_SecurityHeaders)])
