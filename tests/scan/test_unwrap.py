"""The unwrap step: a code on a cylinder that zxing-cpp locates and cannot decode reads once its outline
and the bow of its columns are fitted; a located code whose data is destroyed reads nothing."""

import numpy as np

from qrdeblur.bench.suites.hard import HARD_SEED, hard_item
from qrdeblur.decode.zxing import located, read_as_loaded, read_grey
from qrdeblur.geometry import quad_side
from qrdeblur.qrspec import function_mask, modules
from qrdeblur.scan.cascade import Cascade
from qrdeblur.scan.config import CascadeConfig, Step
from qrdeblur.scan.unwrap import read_unwrapped
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix
from qrdeblur.synth.reserved import hard_payload_specs

CYLINDER_ITEM = 19  # version 2, radius 2.1 code widths, turned 17 and tilted 25 degrees


def _cylinder_item():
    item = hard_item(CYLINDER_ITEM, HARD_SEED, hard_payload_specs(CYLINDER_ITEM + 1)[CYLINDER_ITEM])
    assert item.cell == "cylinder"
    return item


def test_a_code_on_a_cylinder_reads_unwrapped_with_its_outline():
    item = _cylinder_item()
    assert read_as_loaded(item.image) == [] and read_grey(item.image)[0] == []  # zxing-cpp alone cannot
    outlines = [(q, v) for q, v in located(item.image) if v == item.version]
    assert outlines
    corners, version = outlines[0]
    reads = read_unwrapped(item.image, corners, version, quad_side(corners) / modules(version))
    assert [r.text for r, _ in reads] == item.payloads
    # the fitted outline is the symbol's own (within a module at each corner)
    assert np.linalg.norm(np.array(reads[0][1]) - item.corners, axis=1).max() < item.module_px


def test_the_cascade_reads_it_with_the_unwrap_step_and_not_without():
    item = _cylinder_item()
    cheap = (Step("rectify", "none"), Step("sharpen", "sharpen"), Step("finder-pair", "finder-pair"))
    without = CascadeConfig(main_steps=cheap, alt_steps=())
    with_it = CascadeConfig(main_steps=(*cheap, Step("unwrap", "unwrap")), alt_steps=())
    assert Cascade(None, without).run(item.image, budget_ms=5000) == []
    codes = Cascade(None, with_it).run(item.image, budget_ms=5000)
    assert [(c.text, c.method) for c in codes] == [(item.payloads[0], "unwrap")]


def test_a_located_code_with_its_data_destroyed_reads_nothing():
    m = module_matrix(make_symbol(QRSpec("UNWRAP NOTHING 0042", 3, "L", mask=0)), 0)
    rng = np.random.default_rng(5)
    data = ~function_mask(3)
    m[data] = rng.random(int(data.sum())) < 0.5  # the function patterns intact, the data noise
    image = (np.kron(np.pad(~m, 4, constant_values=True), np.ones((5, 5))) * 200 + 30).astype(np.uint8)
    outlines = [(q, v) for q, v in located(image) if v == 3]
    assert outlines  # zxing-cpp locates it, and cannot decode it
    corners, version = outlines[0]
    assert read_unwrapped(image, corners, version, 5.0) == []


def test_sampling_more_points_than_remap_takes_in_one_column():
    from qrdeblur.scan.unwrap import _sample

    image = np.arange(200 * 300, dtype=np.float32).reshape(200, 300)
    rng = np.random.default_rng(0)
    points = np.c_[rng.integers(0, 300, 40_000), rng.integers(0, 200, 40_000)].astype(np.float64)
    got = _sample(image, points)
    assert got.shape == (40_000,)
    assert np.array_equal(got, image[points[:, 1].astype(int), points[:, 0].astype(int)])
