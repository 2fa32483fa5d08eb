"""``scan --workers N`` / ``scan_paths(workers=N)``: the same records, in the same order, from N processes."""

from __future__ import annotations

import json
import textwrap

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from qrdeblur.cli import app
from qrdeblur.errors import UsageError
from qrdeblur.imageio import iter_image_paths
from qrdeblur.scan.batch import _scan_in_workers, scan_paths
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

BUDGET_MS = 3000  # far above what these images take, so no step is cut short by a busy machine


def _scene(payload: str, blur: int = 0) -> np.ndarray:
    """A grey 240x320 scene with one code; ``blur``: a horizontal motion blur of that many pixels."""
    img = np.full((240, 320), 170, np.uint8)
    matrix = module_matrix(make_symbol(QRSpec(payload, None, "M")), 4)
    code = (render_matrix(matrix, module_px=4) * 230 + 10).astype(np.uint8)
    img[40 : 40 + code.shape[0], 60 : 60 + code.shape[1]] = code
    if blur:
        kernel = np.zeros((blur, blur), np.float32)
        kernel[blur // 2, :] = 1 / blur
        img = cv2.filter2D(img, -1, kernel)
    return img


@pytest.fixture
def folder(tmp_path):
    """a_sharp.png (read raw), b_blurred.png (read after deblurring), c_corrupt.png, d_note.jpg (text)."""
    d = tmp_path / "in"
    d.mkdir()
    cv2.imwrite(str(d / "a_sharp.png"), _scene("SHARP-1"))
    cv2.imwrite(str(d / "b_blurred.png"), _scene("BLURRED-7", blur=9))
    data = (d / "a_sharp.png").read_bytes()
    (d / "c_corrupt.png").write_bytes(data[: len(data) // 3])
    (d / "d_note.jpg").write_text("not an image")
    return d


def _without_ms(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "ms"} for r in records]


def _summary(records: list[dict]) -> list[tuple]:
    return [
        (r["path"].rsplit("/", 1)[-1], [(c["text"], c["method"]) for c in r["codes"]], r["error"] is not None)
        for r in records
    ]


EXPECTED = [
    ("a_sharp.png", [("SHARP-1", "raw")], False),
    ("b_blurred.png", [("BLURRED-7", "deblur")], False),
    ("c_corrupt.png", [], True),
    ("d_note.jpg", [], True),
    ("missing.png", [], True),
]


def test_two_workers_give_the_records_of_one_in_input_order(folder):
    inputs = [folder, folder / "missing.png"]
    one = list(scan_paths(inputs, budget_ms=BUDGET_MS))
    two = list(scan_paths(inputs, budget_ms=BUDGET_MS, workers=2))
    assert _summary(one) == EXPECTED
    assert _without_ms(two) == _without_ms(one)  # paths, codes (corners included) and errors
    assert two[4]["error"] == "file not found"
    assert "truncated" in two[2]["error"] or "corrupt" in two[2]["error"]
    assert all(r["ms"] > 0 for r in two[:4])  # timed in the worker, reading included


def test_a_worker_that_dies_on_an_image_gives_that_image_an_error(folder, tmp_path, monkeypatch):
    # a task that ends its worker process on b_blurred.png, as a crash in native code would
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "crashing_task.py").write_text(
        textwrap.dedent(
            """
            import os
            from qrdeblur.scan.batch import _worker_scan

            def task(path):
                if path.endswith("b_blurred.png"):
                    os._exit(3)
                return _worker_scan(path)
            """
        )
    )
    monkeypatch.syspath_prepend(str(helpers))  # spawned workers get this sys.path
    import crashing_task

    args = (None, BUDGET_MS, "normal", None, None)
    records = list(_scan_in_workers(iter_image_paths([folder, folder / "missing.png"]), 2, args, crashing_task.task))
    assert _summary(records) == [
        ("a_sharp.png", [("SHARP-1", "raw")], False),
        ("b_blurred.png", [], True),
        *EXPECTED[2:],
    ]
    assert records[1]["error"] == "worker process crashed while scanning this image"


def test_cli_workers_json(folder):
    result = CliRunner().invoke(app, ["scan", str(folder), "--workers", "2", "--json", "--budget-ms", str(BUDGET_MS)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert _summary(records) == EXPECTED[:4]
    assert [r["path"] for r in records] == [str(p) for p, _ in iter_image_paths([folder])]


@pytest.mark.parametrize("n", ["0", "-2"])
def test_workers_below_one_is_refused(folder, n):
    result = CliRunner().invoke(app, ["scan", str(folder), "--workers", n])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"qrdeblur: error: --workers must be at least 1, got {n}"]


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_scan_paths_refuses_bad_workers(folder, n):
    with pytest.raises(UsageError, match="workers must be"):
        next(scan_paths([folder], workers=n))
