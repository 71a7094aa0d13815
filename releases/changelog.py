"""The changelog of a release against the previous release of the same profile.

In: the built ``release_changelog`` and ``release_template_changes`` models (dbt computes
every figure; this module only lays them out). Out: ``changelog.json`` (machine-readable)
and ``CHANGELOG.md`` in the release directory:

- samples added and removed, by reason (takedown, license, audit, review, input;
  new_input for additions) and per task type;
- the content hashes removed by takedowns (never the content);
- the templates whose hashes changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb


def changelog(con: duckdb.DuckDBPyConnection, profile: str, release_id: str,
              previous_release_id: str | None) -> dict[str, Any]:
    """The changelog of ``profile``'s next release as a JSON-ready dict."""
    rows = con.execute(
        "select change, reason, task_type, count(*) from release_changelog "
        "where release_profile = ? group by all order by all", [profile]).fetchall()
    by_reason: dict[str, dict[str, int]] = {"added": {}, "removed": {}}
    by_task: dict[str, dict[str, int]] = {}
    for change, reason, task_type, count in rows:
        by_reason[change][reason] = by_reason[change].get(reason, 0) + count
        task = by_task.setdefault(task_type, {"added": 0, "removed": 0})
        task[change] += count
    hashes = [r[0] for r in con.execute(
        "select distinct unnest(taken_down_asset_ids) as asset_id from release_changelog "
        "where release_profile = ? and reason = 'takedown' order by 1", [profile]).fetchall()]
    templates = [{"template_id": r[0], "previous_template_hashes": r[1], "current_template_hashes": r[2]}
                 for r in con.execute(
                     "select template_id, previous_template_hashes, current_template_hashes "
                     "from release_template_changes where release_profile = ? order by 1",
                     [profile]).fetchall()]
    samples = {change: sorted(r[0] for r in con.execute(
        "select sample_id from release_changelog where release_profile = ? and change = ?",
        [profile, change]).fetchall()) for change in ("added", "removed")}
    return {
        "release_id": release_id,
        "previous_release_id": previous_release_id,
        "added": sum(by_reason["added"].values()),
        "removed": sum(by_reason["removed"].values()),
        "added_by_reason": dict(sorted(by_reason["added"].items())),
        "removed_by_reason": dict(sorted(by_reason["removed"].items())),
        "by_task_type": dict(sorted(by_task.items())),
        "taken_down_asset_ids": hashes,
        "template_changes": templates,
        "added_sample_ids": samples["added"],
        "removed_sample_ids": samples["removed"],
    }


def write_changelog(log: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write changelog.json and CHANGELOG.md for ``log`` into ``folder``."""
    json_path = folder / "changelog.json"
    json_path.write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    against = log["previous_release_id"] or "nothing (first release of this profile)"
    lines = [f"# Changelog: {log['release_id']}", "", f"Against: {against}.", "",
             f"- samples added: {log['added']}", f"- samples removed: {log['removed']}", ""]
    lines += ["## By reason", "", "| change | reason | samples |", "| --- | --- | ---: |"]
    for change in ("added", "removed"):
        for reason, count in log[f"{change}_by_reason"].items():
            lines.append(f"| {change} | {reason} | {count} |")
    lines += ["", "## By task type", "", "| task type | added | removed |", "| --- | ---: | ---: |"]
    for task, counts in log["by_task_type"].items():
        lines.append(f"| {task} | {counts['added']} | {counts['removed']} |")
    lines += ["", "## Content removed by takedowns (sha256)", ""]
    lines += [f"- `{h}`" for h in log["taken_down_asset_ids"]] or ["none"]
    lines += ["", "## Templates changed", ""]
    lines += [f"- `{t['template_id']}`: {t['previous_template_hashes']} -> {t['current_template_hashes']}"
              for t in log["template_changes"]] or ["none"]
    lines.append("")
    md_path = folder / "CHANGELOG.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return json_path, md_path
