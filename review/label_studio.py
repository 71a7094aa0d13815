"""Label Studio interchange: the review sample out as tasks, reviewers' annotations back in
as verdict records.

Out (:func:`export_tasks`): ``<out>``, a JSON list of Label Studio tasks, one per sample of
``manual_review_samples``: ``data`` holds ``image`` (and ``image2`` for the second image of
a pair) as URLs under ``image_base_url`` (the review page's ``/assets/<asset id>``), the
sample id, task type, question and answer; ``predictions`` holds the answer's boxes and the
COCO source box as ``rectanglelabels`` in Label Studio's percent frame (x, y, width, height
as % of the image). Beside it ``<out stem>.label_config.xml``, the labeling config the
tasks fit: the image with those labels, a verdict choice (approve, reject, needs_fix), an
error type choice from ``seeds/error_types.csv`` and a note.

In (:func:`verdict_records`): a Label Studio JSON export (a list of tasks with their
``annotations``). Each annotation that is not cancelled becomes one verdict record: the
sample id from ``data.sample_id``, the reviewer from ``completed_by`` (its email, or
``ls-user-<id>``), the verdict, error type and note from the results named ``verdict``,
``error_type`` and ``note``, the time from ``updated_at`` (else ``created_at``). The role
follows the order of a task's annotations by time: the first is the first review, the
second the second review, any later one an arbitration, unless a result named ``role``
says otherwise. The records then go through the same validation as a CSV file.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from ingest.json_guard import JsonProblem, check_json_file, decode_json_text
from lakehouse.settings import Warehouse
from lakehouse.taxonomy import error_types
from quality.review_verdicts import ROLES, VERDICTS
from review import reads

FROM_BOX, TO_IMAGE = "box", "image"


class LabelStudioFileError(ValueError):
    """A file that is not a Label Studio JSON export."""


def _percent_box(box: dict[str, float], width: int, height: int, label: str, box_id: str) -> dict[str, Any]:
    return {
        "id": box_id, "type": "rectanglelabels", "from_name": FROM_BOX, "to_name": TO_IMAGE,
        "original_width": width, "original_height": height, "image_rotation": 0,
        "value": {"x": box["x1"] / width * 100, "y": box["y1"] / height * 100,
                  "width": (box["x2"] - box["x1"]) / width * 100,
                  "height": (box["y2"] - box["y1"]) / height * 100,
                  "rotation": 0, "rectanglelabels": [label]},
    }


def task_of(detail: dict[str, Any], image_base_url: str) -> dict[str, Any]:
    """The Label Studio task of one sample (as :func:`review.reads.sample` returns it)."""
    images = detail["images"]
    data: dict[str, Any] = {
        "sample_id": detail["sample_id"], "task_type": detail["task_type"],
        "asset_type": detail["asset_type"], "language": detail["language"],
        "question": detail["question_text"], "answer": detail["answer_text"],
    }
    for image in images:
        data["image" if image["index"] == 1 else f"image{image['index']}"] = image_base_url + image["asset_id"]
    result = []
    first = images[0] if images else None
    if first and first["width"] and first["height"]:
        for n, box in enumerate(first["boxes"]):
            result.append(_percent_box(box, first["width"], first["height"], box["kind"],
                                       f"{detail['sample_id'][:12]}-{n}"))
    return {"data": data, "predictions": [{"model_version": "mmfactory", "result": result}]}


def label_config() -> str:
    """The Label Studio labeling config the exported tasks fit."""
    choices = "".join(f'<Choice value="{escape(v)}"/>' for v in VERDICTS)
    errors = "".join(f'<Choice value="{escape(e)}"/>' for e in error_types())
    return (
        "<View>\n"
        f'  <Image name="{TO_IMAGE}" value="$image"/>\n'
        f'  <RectangleLabels name="{FROM_BOX}" toName="{TO_IMAGE}">'
        '<Label value="answer" background="#e5484d"/><Label value="source" background="#30a46c"/>'
        "</RectangleLabels>\n"
        '  <Header value="$question"/>\n  <Text name="answer" value="$answer"/>\n'
        f'  <Choices name="verdict" toName="{TO_IMAGE}" choice="single" required="true">{choices}</Choices>\n'
        f'  <Choices name="error_type" toName="{TO_IMAGE}" choice="single">{errors}</Choices>\n'
        f'  <TextArea name="note" toName="{TO_IMAGE}" maxSubmissions="1"/>\n'
        "</View>\n"
    )


def export_tasks(wh: Warehouse, out: Path, image_base_url: str) -> tuple[Path, Path, int]:
    """Write the tasks and the labeling config; return (tasks path, config path, tasks)."""
    if not image_base_url.endswith("/"):
        image_base_url += "/"
    with reads.connect(wh) as con:
        ids = [r[0] for r in con.execute("select sample_id from manual_review_samples order by sample_id").fetchall()]
        tasks = [task_of(reads.sample_from(con, sample_id), image_base_url) for sample_id in ids]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    config = out.with_name(f"{out.stem}.label_config.xml")
    config.write_text(label_config(), encoding="utf-8")
    return out, config, len(tasks)


def _result_value(results: list[dict], name: str) -> str:
    for result in results:
        if result.get("from_name") != name:
            continue
        value = result.get("value") or {}
        if value.get("choices"):
            return str(value["choices"][0])
        if value.get("text"):
            text = value["text"]
            return "\n".join(map(str, text)) if isinstance(text, list) else str(text)
    return ""


def _reviewer(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or f"ls-user-{completed_by.get('id')}")
    if isinstance(completed_by, int):
        return f"ls-user-{completed_by}"
    return str(completed_by or "")


def verdict_records(path: Path) -> list[tuple[int, dict | None]]:
    """(position, verdict record) per annotation of a Label Studio JSON export (the
    position counts annotations from 1 in file order). Raises :class:`LabelStudioFileError`."""
    try:
        problem = check_json_file(Path(path))  # the one JSON encoding rule, and the bounds
        if problem is not None:
            raise LabelStudioFileError(f"{path}: {problem.message} ({problem.reason})")
        text = decode_json_text(Path(path).read_bytes())
        if isinstance(text, JsonProblem):
            raise LabelStudioFileError(f"{path}: {text.message} ({text.reason})")
        tasks = json.loads(text)
    except FileNotFoundError:
        raise LabelStudioFileError(f"verdict file not found: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise LabelStudioFileError(f"{path} is not a Label Studio JSON export: {exc}") from None
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and "annotations" in t for t in tasks):
        raise LabelStudioFileError(f"{path} is not a Label Studio JSON export: expected a list of tasks, "
                                   "each with its 'annotations'")
    records: list[tuple[int, dict | None]] = []
    position = 0
    for task in tasks:
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        annotations.sort(key=lambda a: str(a.get("created_at") or ""))
        order = 0
        for annotation in annotations:
            position += 1
            if annotation.get("was_cancelled"):
                continue
            results = annotation.get("result") or []
            role = _result_value(results, "role")
            if not role:
                role = ROLES[min(order, len(ROLES) - 1)]
            order += 1
            records.append((position, {
                "sample_id": str((task.get("data") or {}).get("sample_id") or ""),
                "reviewer": _reviewer(annotation.get("completed_by")),
                "role": role,
                "verdict": _result_value(results, "verdict"),
                "error_type": _result_value(results, "error_type"),
                "note": _result_value(results, "note"),
                "time": str(annotation.get("updated_at") or annotation.get("created_at") or ""),
            }))
    return records
