"""``tests.sql_lint`` (sqlfluff with one reflow sequence per file) finds exactly what stock
sqlfluff finds: both lint the same copies of models/ made messy on purpose (indents
dropped, trailing spaces, commas without a space, upper-case keywords, lines joined), and
every violation, with its rule, position and message, must be the same. Its depth map is
sqlfluff's, raw segment for raw segment.

The copies are linted with sqlfluff's jinja templater (the dbt one would need them inside
the dbt project); the layout rules the shared sequence serves see the same parse trees
either way.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_RULES = {"LT01", "LT02", "LT05", "LT14"}  # the rules that share the sequence


def _messy_copies(folder: Path, files: int = 10, seed: int = 2) -> None:
    rng = random.Random(seed)
    models = sorted((PROJECT_DIR / "models").rglob("*.sql"))
    for path in rng.sample(models, files):
        lines: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            r = rng.random()
            if r < 0.1:
                line = line.lstrip()
            elif r < 0.2:
                line += "   "
            elif r < 0.3:
                line = line.replace(", ", ",")
            elif r < 0.35:
                line = re.sub(r"\b(select|from|where|and|as)\b", lambda m: m[1].upper(), line)
            elif r < 0.4 and lines:
                lines[-1] += " " + line.strip()
                continue
            lines.append(line)
        # and one `where` pulled up onto the line before it (LT14), whatever the draws gave:
        # which rules the draws break depended on the models' exact lines
        clause = next((i for i, line in enumerate(lines)
                       if i and line.strip().lower().startswith("where ")), None)
        if clause is not None:
            lines[clause - 1] += " " + lines.pop(clause).strip()
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = (PROJECT_DIR / ".sqlfluff").read_text(encoding="utf-8")
    config = config.replace("templater = dbt", "templater = jinja")
    config = re.sub(r"\[sqlfluff:templater:dbt\][^\[]*", "", config)
    (folder / ".sqlfluff").write_text(config, encoding="utf-8")


def _violations(command: list[str], folder: Path) -> dict[str, list[dict]]:
    proc = subprocess.run([*command, "lint", "--processes", "1", "--format", "json", "."],
                          cwd=folder, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(PROJECT_DIR), "PATH": "/usr/bin:/bin"})
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return {Path(f["filepath"]).name: f["violations"] for f in json.loads(proc.stdout)}


def test_the_shared_reflow_sequence_finds_what_stock_sqlfluff_finds(tmp_path: Path) -> None:
    _messy_copies(tmp_path)
    stock = _violations([str(Path(sys.executable).parent / "sqlfluff")], tmp_path)
    shared = _violations([sys.executable, "-m", "tests.sql_lint"], tmp_path)
    codes = Counter(v["code"] for found in stock.values() for v in found)
    assert SHARED_RULES <= set(codes), codes  # the copies break the rules it serves
    assert sum(codes[c] for c in SHARED_RULES) > 50, codes
    assert shared == stock


def test_it_refuses_to_fix() -> None:
    proc = subprocess.run([sys.executable, "-m", "tests.sql_lint", "fix", "models/"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "runs `sqlfluff lint` only" in proc.stderr


def test_its_depth_map_equals_sqlfluffs_on_every_raw_segment() -> None:
    """``tests.sql_lint.depth_map_from_parent`` gives each raw segment of a parsed model the
    same depth information as sqlfluff's ``DepthMap.from_parent``, in the same order."""
    from sqlfluff.core import FluffConfig, Linter
    from sqlfluff.utils.reflow.depthmap import DepthMap

    from tests.sql_lint import depth_map_from_parent

    linter = Linter(config=FluffConfig(overrides={"dialect": "duckdb", "templater": "jinja"}))
    models = sorted((PROJECT_DIR / "models").rglob("*.sql"))
    random.Random(3).shuffle(models)
    raws = checked = 0
    for path in models:
        (parsed,) = linter.parse_path(str(path))
        if not parsed.parsed_variants:  # plain Jinja cannot render it (a dbt-only construct)
            continue
        tree = parsed.parsed_variants[0].tree
        stock = DepthMap.from_parent(tree).depth_info
        ours = depth_map_from_parent(DepthMap, tree).depth_info
        assert list(ours) == list(stock), path
        assert ours == stock, path
        raws += len(ours)
        checked += 1
        if checked == 6:
            break
    assert checked == 6 and raws > 1000
