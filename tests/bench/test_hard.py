"""The hard suite: deterministic items, one cell per broken rule, reserved payloads, and every item
readable in principle (zxing-cpp as the oracle) while zxing-cpp alone does not read them all."""

import json

import numpy as np
import pytest
import zxingcpp

from qrdeblur.bench.runner import run_bench
from qrdeblur.bench.suites import get_suite
from qrdeblur.bench.suites.hard import CELLS, HARD_SEED, STRONG_ECC_CELLS, hard_item, hard_suite, readable_in_principle
from qrdeblur.qrspec import function_mask, modules, version_of
from qrdeblur.synth.hard_damage import FINDER_COVER, GLARE_AREA
from qrdeblur.synth.reserved import hard_payload_specs, is_reserved_payload


@pytest.fixture(scope="module")
def items():
    return hard_suite(per_cell=2)


def _reads(image: np.ndarray) -> set[str]:
    return {r.text for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)}


def _clean(matrix: np.ndarray) -> np.ndarray:
    return (np.kron(np.pad(~matrix, 4, constant_values=True), np.ones((4, 4))) * 255).astype(np.uint8)


def test_items_are_deterministic_and_a_prefix_of_a_larger_suite(items):
    small = hard_suite(per_cell=1)
    assert [it.cell for it in small] == list(CELLS)
    assert [it.cell for it in items] == list(CELLS) * 2
    for a, b in zip(small, items[: len(small)], strict=True):
        assert np.array_equal(a.image, b.image) and a.payloads == b.payloads and a.meta == b.meta
    again = hard_item(4, HARD_SEED, hard_payload_specs(5)[4])
    assert again.image.tobytes() == items[4].image.tobytes()
    other = hard_item(4, HARD_SEED + 1, hard_payload_specs(5)[4])
    assert other.image.tobytes() != items[4].image.tobytes()


def test_payloads_are_reserved_and_damaged_cells_use_strong_error_correction(items):
    for it in items:
        assert is_reserved_payload(it.payloads[0])
        assert it.symbol.shape == (modules(it.version),) * 2
        assert it.image.dtype == np.uint8 and it.image.ndim == 2
        if it.cell in STRONG_ECC_CELLS:
            assert it.ecc == "H"
    assert get_suite("hard").kind == "scene"


def test_each_item_breaks_its_rule_within_the_stated_range(items):
    for it in items:
        m = it.meta
        if it.cell == "no-quiet":
            assert 0 <= m["quiet"] <= 1 and m["graphics"]
        elif it.cell == "finder":
            assert FINDER_COVER[0] - 0.02 <= m["finder_cover"] <= FINDER_COVER[1] + 0.1
        elif it.cell == "glare":
            assert GLARE_AREA[0] * 0.85**3 <= m["glare_area"] <= GLARE_AREA[1]
        elif it.cell == "cylinder":
            assert 1 <= m["radius_widths"] <= 3
        elif it.cell == "shadow":
            assert 0.1 <= m["shadow_cover"] <= 0.9
        else:
            assert 2 <= m["quiet"] <= 4
        # the outline is on the image, about module_px per module along its top edge
        assert (it.corners >= 0).all() and (it.corners < it.image.shape[0]).all()
        pitch = np.linalg.norm(it.corners[1] - it.corners[0]) / modules(it.version)
        assert 0.6 * it.module_px < pitch < 1.4 * it.module_px, (it.cell, pitch, it.module_px)


def test_every_item_is_readable_in_principle_and_the_oracle_can_say_no(items):
    for it in items:
        assert _reads(_clean(it.symbol)) == set(it.payloads)
        assert readable_in_principle(it.seen, it.symbol, it.payloads[0]), it.cell
        if it.cell in ("finder", "glare"):
            assert (it.seen != it.symbol).any(), it.cell  # the damage reaches the modules
    # the oracle refuses a code whose data is mostly gone
    it = items[0]
    wrecked = it.symbol.copy()
    data = ~function_mask(version_of(it.symbol.shape[0]))
    wrecked[data] = np.random.default_rng(0).random(int(data.sum())) < 0.5
    assert not readable_in_principle(wrecked, it.symbol, it.payloads[0])


def test_zxing_cpp_alone_does_not_read_every_item(items):
    read = [set(it.payloads) <= _reads(it.image) for it in items]
    assert 0 < sum(read) < len(items) - 2
    # and never reads a wrong text
    assert all(_reads(it.image) <= set(it.payloads) for it in items)


def test_bench_runs_the_suite_and_writes_its_cells(tmp_path, items):
    small = items[: len(CELLS)]
    result = run_bench("hard", ["zxing-only"], [], tmp_path / "run", progress=False, items=small)
    assert result.cells == list(CELLS)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["suite"] == "hard"
    csv = (tmp_path / "run" / "results.csv").read_text()
    assert all(cell in csv for cell in CELLS)
