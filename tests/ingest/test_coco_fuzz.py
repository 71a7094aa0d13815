"""Fuzz: a few hundred malformed COCO files (a seeded generator of mutations of a real
one) through ``mmfactory land coco``. Each must exit 0 (landed, bad records rejected) or
2 (refused, one clear line), never with a traceback; a refusal leaves the earlier
landing byte-identical, and no temporary file behind."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

from mmfactory.cli import app
from tests.ingest.landing_cases import leftovers, small_coco, snapshot

CASES = 300
SEED = 11

_JUNK: list[Any] = [None, True, 0, -1, 1.5, 2**70, "x", "", "NaN", [], {}, [1, 2], {"a": 1},
                    [[1, 2, 3]], "../../etc/passwd", "/abs.jpg", -1e308, "\udcff"]


def _junk(rng: random.Random) -> Any:
    return rng.choice(_JUNK)


def _mutate_records(rng: random.Random, doc: dict) -> None:
    section = rng.choice(["images", "annotations", "categories", "licenses"])
    records = doc.get(section)
    if not isinstance(records, list) or not records:
        return
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(records))
        rec = records[i]
        action = rng.randrange(5)
        if action == 0 and isinstance(rec, dict) and rec:
            rec.pop(rng.choice(sorted(rec)))
        elif action == 1 and isinstance(rec, dict) and rec:
            rec[rng.choice(sorted(rec))] = _junk(rng)
        elif action == 2:
            records.append(json.loads(json.dumps(rec)))  # a duplicate record
        elif action == 3:
            records[i] = _junk(rng)
        elif isinstance(rec, dict) and "bbox" in rec:
            rec["bbox"] = [rng.choice([_junk(rng), rng.uniform(-1e4, 1e4)]) for _ in range(rng.randint(0, 6))]


def _mutate_sections(rng: random.Random, doc: dict) -> None:
    key = rng.choice(["images", "annotations", "categories", "licenses", "info"])
    if rng.random() < 0.3:
        doc.pop(key, None)
    else:
        doc[key] = _junk(rng)


def _text_mutation(rng: random.Random, text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    kind = rng.randrange(7)
    if kind == 0:
        return data[: rng.randrange(len(data))]  # truncated
    if kind == 1:
        at = rng.randrange(len(data))
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[at:]
    if kind == 2:
        depth = rng.choice([65, 200, 5000])
        return data[:-1] + b', "deep": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == 3:
        return rng.choice([b"", b"   ", b"[]", b"null", b"42", b'"text"', b"{", b"}"])
    if kind == 4:
        return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data
    if kind == 5:
        return text.encode("utf-16-le")
    return data.replace(b"1", b"NaN", 3)


def generate(rng: random.Random, base: dict) -> bytes:
    """One malformed variant of ``base``."""
    doc = json.loads(json.dumps(base))
    mutations: list[Callable[[random.Random, dict], None]] = [_mutate_records, _mutate_sections]
    for _ in range(rng.randint(1, 3)):
        rng.choice(mutations)(rng, doc)
    text = json.dumps(doc)
    if rng.random() < 0.35:
        return _text_mutation(rng, text)
    return text.encode("utf-8", "surrogatepass")


def test_malformed_coco_files_never_lose_the_earlier_landing(shared_datasets, wh, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    images, ann = small_coco(tmp_path / "coco")
    # the click command behind `mmfactory`, built once (typer's runner rebuilds it per call)
    command = typer.main.get_command(app)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _: command)
    runner = CliRunner()

    def land(path: Path, *extra: str) -> int:
        result = runner.invoke(app, ["land", "coco", "--images", str(images), "--annotations", str(path),
                                     "--source", "c", *extra])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{path.read_bytes()[:300]!r} raised {result.exception!r}")
        return result.exit_code

    assert land(ann) == 0
    baseline = snapshot(wh)
    saved = tmp_path / "saved"
    for folder in ("landing", "claims"):
        shutil.copytree(wh.root / folder, saved / folder)
    base = json.loads(ann.read_text())
    rng = random.Random(SEED)
    codes = {0: 0, 2: 0}
    for i in range(CASES):
        path = tmp_path / f"case{i}.json"
        path.write_bytes(generate(rng, base))
        before = snapshot(wh)
        code = land(path)
        assert code in (0, 2), f"case {i}: exit {code}"
        codes[code] += 1
        assert leftovers(wh) == [], f"case {i}"
        if code == 2:
            assert snapshot(wh) == before, f"case {i} was refused but changed what had landed"
        elif snapshot(wh) != baseline:  # back to the earlier landing for the next case
            for folder in ("landing", "claims"):
                shutil.rmtree(wh.root / folder)
                shutil.copytree(saved / folder, wh.root / folder)
    # the generator reaches both outcomes
    assert codes[0] > 20 and codes[2] > 20, codes
