"""The photo suite: deterministic scenes whose ground truth (payloads, corners) a real decoder confirms,
and its run through the one runner."""

import numpy as np
import pytest

from qrdeblur.bench.methods import read_zxing
from qrdeblur.bench.runner import run_bench
from qrdeblur.bench.suites import photo_scene
from qrdeblur.bench.suites.photo import PHOTO_SEED, photo_suite
from qrdeblur.bench.suites.photo_scene import CELLS
from qrdeblur.errors import UsageError
from qrdeblur.synth.reserved import is_reserved_payload, photo_payload_specs, photo_payloads


@pytest.fixture(scope="module")
def tiny():
    return photo_suite(count=4)


@pytest.fixture(scope="module")
def zxing_run(tiny):
    return run_bench("photo", ["zxing-only"], progress=False, items=tiny)


def test_suite_is_deterministic_and_prefix_stable(tiny):
    again = photo_suite(count=2)
    for a, b in zip(tiny[:2], again, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        assert a.payloads == b.payloads and a.cell == b.cell


def test_scenes_have_the_promised_shape(tiny):
    assert [it.cell for it in tiny] == [*CELLS, CELLS[0]]
    for it in tiny:
        h, w, c = it.image.shape
        assert c == 3 and it.image.dtype == np.uint8
        assert 640 <= w <= 2000 and h <= 2000
        assert 1 <= len(it.codes) <= 3
        boxes = []
        for code in it.codes:
            q = np.asarray(code.corners)
            assert q.shape == (4, 2)
            assert (q >= 0).all() and (q[:, 0] < w).all() and (q[:, 1] < h).all()
            assert 1 <= code.version <= 10 and 2.0 <= code.module_px <= 8.0
            boxes.append((*q.min(0), *q.max(0)))
        for i, a in enumerate(boxes):  # codes never overlap
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_payloads_are_reserved_unique_and_cover_versions(tiny):
    reserved = photo_payloads()
    specs = photo_payload_specs(300)
    assert len({p for p, _, _ in specs}) == 300
    assert {p for p, _, _ in specs} <= reserved
    assert {v for _, v, _ in specs} == set(range(1, 11))
    assert photo_payloads() is reserved  # cached
    assert all(is_reserved_payload(p) for it in tiny for p in it.payloads)


def test_count_is_bounded_by_the_reserved_payloads():
    with pytest.raises(UsageError, match="photo suite count must be in 1..1000"):
        photo_suite(count=1001)


def test_ground_truth_agrees_with_zxing_on_a_clean_scene(monkeypatch):
    """Without camera blur, zxing-cpp reads every code with the stored payload at the stored corners."""
    import zxingcpp

    monkeypatch.setitem(
        photo_scene._STRENGTH,
        "mild",
        {
            **photo_scene._STRENGTH["mild"],
            "motion": (0, 0),
            "disk": (0, 0),
            "gauss": (0, 0),
            "shake": (1, 1),
            "noise": (0, 0),
            "jpeg": (98, 98),
        },
    )
    monkeypatch.setattr(photo_scene, "_camera_psf", lambda rng, cell: (np.ones((1, 1)), {"blur": "none"}))
    read = 0
    for index in (0, 3, 6):
        item = photo_scene.photo_item(
            index, PHOTO_SEED, photo_payload_specs(3 * (index + 1))[3 * index : 3 * index + 3]
        )
        grey = item.image.mean(axis=2).astype(np.uint8)
        found = {r.text: r for r in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)}
        assert set(found) <= set(item.payloads)  # never a text that is not in the scene
        for code in item.codes:
            if code.payload not in found or code.module_px < 3:
                continue
            p = found[code.payload].position
            got = np.array(
                [[q.x, q.y] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], float
            )
            assert np.abs(got - np.asarray(code.corners)).max() < 0.6 * code.module_px + 2
            read += 1
    assert read >= 3


def test_rows_count_codes_and_false_reads(tiny, zxing_run):
    result = zxing_run
    assert result.suite == "photo" and result.cells == list(CELLS) and result.decoders == ["zxing-cpp"]
    assert [r.cell for r in result.rows] == list(CELLS)
    total = result.totals["zxing-only"]
    assert total.cell == "all" and total.decoder == "zxing-cpp"
    assert total.n == sum(len(it.codes) for it in tiny)
    assert total.extra["images"] == len(tiny)
    assert 0 <= total.decoded <= total.n and total.extra["false_reads"] == 0
    assert total.rate == pytest.approx(total.decoded / total.n, abs=1e-4)
    assert sum(r.n for r in result.rows) == total.n
    # the decoded count is the real decoder's: every payload zxing-cpp reads in each scene
    assert total.decoded == sum(len(set(it.payloads) & read_zxing(it.image)) for it in tiny)


def test_speed_is_split_by_whether_zxing_alone_reads_the_whole_photo(tiny, zxing_run):
    total = zxing_run.totals["zxing-only"]
    # for zxing-only itself, a photo it reads completely is exactly one where every code was decoded
    complete = [set(it.payloads) <= read_zxing(it.image) for it in tiny]
    assert total.extra["images_zxing_reads_all"] == sum(complete)
    assert (total.extra["ms_zxing_reads_all"] is None) == (not any(complete))
    assert (total.extra["ms_others"] is None) == all(complete)
    assert sum(r.extra["images_zxing_reads_all"] for r in zxing_run.rows) == sum(complete)


def test_summary_lines_per_method(tiny, zxing_run):
    total = zxing_run.totals["zxing-only"]
    easy = total.extra["images_zxing_reads_all"]
    first, second = zxing_run.notes
    assert first.startswith(
        f"zxing-only: {total.decoded}/{total.n} codes read ({total.decoded / total.n:.1%}) in 4 scenes, median "
    )
    assert first.endswith(" ms per photo, 0 false reads")
    assert second.startswith("  median ") and f" on the {easy} photos zxing-cpp alone reads completely, " in second
    assert second.endswith(f" on the other {4 - easy}")


def test_scan_reads_at_least_what_zxing_reads_with_no_false_reads(tiny):
    result = run_bench("photo", ["zxing-only", "scan"], progress=False, items=tiny[:3])
    assert result.decoders == ["zxing-cpp"] and result.methods == ["zxing-only", "scan"]
    assert result.totals["scan"].decoded >= result.totals["zxing-only"].decoded
    assert result.totals["scan"].extra["false_reads"] == 0
    assert len(result.notes) == 4


def test_scan_with_an_explicit_model_is_the_same_reader(tiny):
    from qrdeblur.restore.deblurrer import scan_model_path

    method = f"scan:{scan_model_path()}"  # scan's own default, named
    result = run_bench("photo", ["scan", method], progress=False, items=tiny[:2])
    assert result.totals[method].decoder == "zxing-cpp"
    assert result.totals[method].decoded == result.totals["scan"].decoded
