"""Boxes read from an answer and mapped to pixels; the page's commands refuse bad input."""

from __future__ import annotations

from typer.testing import CliRunner

from mmfactory.cli import app
from review.reads import answer_boxes_grid, grid_to_pixels


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_answer_boxes_are_read_from_the_text_and_scaled_to_the_image():
    assert answer_boxes_grid("最左边的大象位于[513, 349, 672, 571]。") == [(513, 349, 672, 571)]
    assert answer_boxes_grid("[1, 2, 3] and [5, 0, 1000, 1000] and [10, 10, 5, 20] and [0,0,2000,1]") == [
        (5, 0, 1000, 1000)]
    assert grid_to_pixels((500, 250, 1000, 750), 640, 480) == {"x1": 160.0, "y1": 240.0, "x2": 480.0, "y2": 480.0}


def test_commands_refuse_bad_input_in_one_line(wh):
    result = _run("review", "serve", "--port", "8799")
    assert result.exit_code == 2 and "no lakehouse at" in result.stderr and result.exception.__class__ is SystemExit
    result = _run("review", "serve", "--reviewer", "no spaces please")
    assert result.exit_code == 2 and "reviewer name" in result.stderr
    result = _run("review", "export", "--format", "csv")
    assert result.exit_code == 2 and "unknown export format 'csv'" in result.stderr
    # a path longer than a terminal line: the error is still one line that names it whole
    bad = wh.root.parent / ("label-studio-exports-" * 4) / "export.json"
    bad.parent.mkdir()
    bad.write_text("[1, 2]", encoding="utf-8")
    result = _run("review", "import", str(bad))
    assert result.exit_code == 2 and "not a Label Studio JSON export" in result.stderr
    assert f"{bad} is not a Label Studio JSON export" in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
