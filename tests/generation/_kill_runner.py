"""Run by test_generation_kill_resume.py in a subprocess (then SIGKILLed): recaption the
first N COCO128 images against the loopback server at $TEST_BASE_URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root

from generation.config import config_from_env
from generation.stages.recaption import run_recaption
from tests.generation.testkit import TEST_MODEL, load_coco_items

if __name__ == "__main__":
    cfg = config_from_env(
        base_url=os.environ["TEST_BASE_URL"],
        model=TEST_MODEL,
        concurrency=2,
        batch_size=int(os.environ["TEST_BATCH_SIZE"]),
        max_attempts=3,
        backoff_base_s=0.01,
        timeout_s=60,
    )
    run_recaption(load_coco_items(int(os.environ["TEST_N_ITEMS"])), cfg)
