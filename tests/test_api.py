"""The public API: ``qrdeblur.scan(image)`` and ``qrdeblur.Deblurrer``, importable without torch."""

import subprocess
import sys
from pathlib import Path

import numpy as np

import qrdeblur

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "webcam-motion-blur.jpg"


def test_scan_reads_the_readme_example_that_zxing_alone_misses():
    assert qrdeblur.get_decoder("zxing-cpp").decode(qrdeblur.read_image(EXAMPLE)) == []
    codes = qrdeblur.scan(EXAMPLE, budget_ms=60_000)  # behaviour, not speed: a loaded CI machine is slow
    assert [c.text for c in codes] == ["MEBKM:URL:http\\://en.wikipedia.org/wiki/Main_Page;;"]
    assert codes[0].method != "raw" and len(codes[0].corners) == 4


def test_scan_imports_no_torch():
    code = (
        "import qrdeblur, sys; "
        f"codes = qrdeblur.scan({str(EXAMPLE)!r}, budget_ms=60_000); "
        "assert codes and 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shipped_deblurrer_keeps_shape_and_layout():
    d = qrdeblur.Deblurrer.load()
    grey = np.full((50, 70), 255, np.uint8)
    assert d.deblur(grey).shape == (50, 70)
    rgb = np.zeros((33, 41, 3), np.uint8)
    out = d.deblur(rgb)
    assert out.shape == (33, 41, 3) and out.dtype == np.uint8
