"""The shake suite: deterministic items whose blur extent matches their cell, reserved payloads, and an
oracle that reads with the true blur what zxing-cpp cannot read blurred."""

import numpy as np
import zxingcpp

from qrdeblur.bench.oracle import grid_frame, read_with_truth
from qrdeblur.bench.suites.shake import CELL_RANGES, CELLS, shake_item, shake_suite
from qrdeblur.qrspec import modules
from qrdeblur.synth import kernels
from qrdeblur.synth.reserved import is_reserved_payload, shake_payload_specs


def test_items_are_deterministic_and_a_prefix_of_a_larger_suite():
    small, large = shake_suite(per_cell=1), shake_suite(per_cell=2)
    assert [it.cell for it in small] == list(CELLS)
    for a, b in zip(small, large[: len(small)], strict=True):
        assert np.array_equal(a.image, b.image) and a.payloads == b.payloads


def test_each_blur_extent_is_in_its_cell_and_the_psf_is_its_path():
    for i, item in enumerate(shake_suite(per_cell=2)):
        lo, hi = CELL_RANGES[item.cell]
        extent = kernels.path_extent(item.path) / item.module_px
        assert lo - 0.01 <= extent <= hi + 0.01, (i, item.cell, extent)
        assert np.isclose(item.psf.sum(), 1.0) and item.psf.shape[0] % 2 == 1
        assert item.image.dtype == np.uint8 and item.image.ndim == 2


def test_payloads_are_reserved_and_fit_their_version():
    specs = shake_payload_specs(30)
    assert all(is_reserved_payload(p) for p, _, _ in specs)
    assert {v for _, v, _ in specs} <= set(range(1, 7))
    item = shake_item(3, 50_500, specs[3])
    n = modules(item.version)
    side = np.linalg.norm(item.corners[1] - item.corners[0])
    assert abs(side / n - item.module_px) < 0.15 * item.module_px


def test_grid_frame_maps_a_module_to_the_grid_pitch():
    quad = np.float64([[10, 10], [10 + 21 * 4, 10], [10 + 21 * 4, 10 + 21 * 4], [10, 10 + 21 * 4]])
    assert np.allclose(grid_frame(quad, 1), np.eye(2) * 3 / 4)


def test_the_oracle_reads_blurred_codes_zxing_cpp_cannot():
    items = [it for it in shake_suite(per_cell=3) if it.cell in ("2-4", "4-6")]
    blind = [it for it in items if not {r.text for r in zxingcpp.read_barcodes(it.image)}]
    assert len(blind) >= 4
    read = sum(it.payloads[0] in read_with_truth(it) for it in blind)
    assert read >= len(blind) // 2
