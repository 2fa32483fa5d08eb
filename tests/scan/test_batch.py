"""scan_paths: one JSON-ready record per image; bad files give one-line errors and never stop the batch."""

import json
import os

import cv2
import numpy as np
from PIL import Image

from qrdeblur.scan.batch import scan_paths
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def _code_scene(payload, size=(480, 640), at=(60, 90), module_px=5):
    """Grey scene (uint8) with one upright code; returns (image, symbol corners TL, TR, BR, BL)."""
    h, w = size
    img = np.full((h, w), 170, np.uint8)
    img[::7, :] = 150  # a little texture
    matrix = module_matrix(make_symbol(QRSpec(payload, None, "M")), 4)
    code = (render_matrix(matrix, module_px=module_px) * 230 + 10).astype(np.uint8)
    y, x = at
    img[y : y + code.shape[0], x : x + code.shape[1]] = code
    n = matrix.shape[0] - 8
    x0, y0 = x + 4 * module_px, y + 4 * module_px
    s = n * module_px
    return img, np.float64([[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s]])


def test_batch_reads_good_files_and_reports_bad_ones(tmp_path, locked_dirs, png_header_only):
    good, _ = _code_scene("GOOD-ONE")
    cv2.imwrite(str(tmp_path / "a_good.png"), good)
    sub = tmp_path / "sub"
    sub.mkdir()
    good2, _ = _code_scene("GOOD-TWO", at=(150, 300))
    cv2.imwrite(str(sub / "z_good.jpg"), good2, [cv2.IMWRITE_JPEG_QUALITY, 95])
    (tmp_path / "b_empty.png").write_bytes(b"")
    data = (tmp_path / "a_good.png").read_bytes()
    (tmp_path / "c_trunc.png").write_bytes(data[: len(data) // 3])
    (tmp_path / "d_text.png").write_text("not an image")
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(tmp_path / "e_tiny.png")
    (tmp_path / "f_bomb.png").write_bytes(png_header_only(20000, 20000))
    (tmp_path / "locked").mkdir()
    records = list(scan_paths([tmp_path, tmp_path / "missing.png"], model=None, budget_ms=200))
    by_name = {os.path.basename(r["path"]): r for r in records}
    assert list(by_name) == [
        "a_good.png",
        "b_empty.png",
        "c_trunc.png",
        "d_text.png",
        "e_tiny.png",
        "f_bomb.png",
        "locked",
        "z_good.jpg",
        "missing.png",
    ]
    for r in records:
        json.dumps(r)  # JSON-ready
        assert set(r) == {"path", "codes", "ms", "error"}
        if r["error"] is not None:
            assert "\n" not in r["error"] and r["codes"] == []
    assert [c["text"] for c in by_name["a_good.png"]["codes"]] == ["GOOD-ONE"]
    assert [c["text"] for c in by_name["z_good.jpg"]["codes"]] == ["GOOD-TWO"]
    assert by_name["a_good.png"]["error"] is None and by_name["a_good.png"]["ms"] > 0
    expected = {
        "b_empty.png": "empty",
        "c_trunc.png": "truncated",
        "d_text.png": "not an image",
        "e_tiny.png": "too small",
        "f_bomb.png": "decompression bomb",
        "locked": "permission denied",
        "missing.png": "not found",
    }
    for name, words in expected.items():
        assert words in by_name[name]["error"], by_name[name]
    code = by_name["a_good.png"]["codes"][0]
    assert set(code) == {"text", "corners", "method", "decoder"} and code["method"] == "raw"


def test_exif_rotated_jpeg_reports_corners_in_the_oriented_frame(tmp_path):
    oriented, corners = _code_scene("EXIF-6", size=(400, 640), at=(40, 330), module_px=6)
    stored = np.ascontiguousarray(np.rot90(oriented, 1))  # the sensor's frame of a camera held sideways
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "rot.jpg", exif=exif, quality=95)
    (record,) = scan_paths([tmp_path / "rot.jpg"], budget_ms=0)
    assert record["error"] is None
    (code,) = record["codes"]
    assert code["text"] == "EXIF-6"
    got = np.asarray(code["corners"])
    assert np.abs(got - corners).max() < 3.0, got.tolist()
