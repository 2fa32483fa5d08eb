"""docs/examples/dask_scan.py: a folder scanned on a local Dask cluster gives ``scan_paths``' records."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from qrdeblur.scan.batch import scan_paths
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

pytest.importorskip("distributed")

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BUDGET_MS = 3000  # far above what these images take: no step is cut short by a busy machine


def _example():
    spec = importlib.util.spec_from_file_location("dask_scan_example", EXAMPLES / "dask_scan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blurred_code(payload: str) -> np.ndarray:
    img = np.full((240, 320), 170, np.uint8)
    matrix = module_matrix(make_symbol(QRSpec(payload, None, "M")), 4)
    code = (render_matrix(matrix, module_px=4) * 230 + 10).astype(np.uint8)
    img[40 : 40 + code.shape[0], 60 : 60 + code.shape[1]] = code
    kernel = np.zeros((9, 9), np.float32)
    kernel[4, :] = 1 / 9  # 9 px of horizontal motion: zxing-cpp alone reads nothing
    return cv2.filter2D(img, -1, kernel)


def test_dask_example_gives_the_records_of_scan_paths(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(EXAMPLES / "webcam-motion-blur.jpg", folder / "a_webcam.jpg")
    cv2.imwrite(str(folder / "sub" / "b_blurred.png"), _blurred_code("DASK-BLURRED"))
    (folder / "c_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)

    records = _example().scan_folder_dask(folder, n_workers=2, processes=False, budget_ms=BUDGET_MS)

    names = [Path(r["path"]).name for r in records]
    assert names == ["a_webcam.jpg", "c_corrupt.png", "b_blurred.png"]  # the sorted walk: files and folders by name
    texts = [[c["text"] for c in r["codes"]] for r in records]
    assert texts == [["MEBKM:URL:http\\://en.wikipedia.org/wiki/Main_Page;;"], [], ["DASK-BLURRED"]]
    assert records[1]["error"] and records[0]["error"] is None and records[2]["error"] is None
    expected = list(scan_paths([folder], budget_ms=BUDGET_MS))
    assert [{k: v for k, v in r.items() if k != "ms"} for r in records] == [
        {k: v for k, v in r.items() if k != "ms"} for r in expected
    ]
