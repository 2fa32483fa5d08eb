"""The photo suite: deterministic scenes whose ground truth (payloads, corners) a real decoder confirms."""

import numpy as np
import pytest

from qrdeblur.bench import photo
from qrdeblur.bench.photo import CELLS, PHOTO_METHODS, photo_payloads, photo_suite, run_photo_bench


@pytest.fixture(scope="module")
def tiny():
    return photo_suite(count=4)


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


def test_payloads_are_reserved_unique_and_cover_versions():
    reserved = photo_payloads()
    specs = photo._payload_specs(300)
    assert len({p for p, _, _ in specs}) == 300
    assert {p for p, _, _ in specs} <= reserved
    assert {v for _, v, _ in specs} == set(range(1, 11))
    assert photo_payloads() is reserved  # cached


def test_ground_truth_agrees_with_zxing_on_a_clean_scene(monkeypatch):
    """Without camera blur, zxing-cpp reads every code with the stored payload at the stored corners."""
    import zxingcpp

    monkeypatch.setitem(
        photo._STRENGTH,
        "mild",
        {
            **photo._STRENGTH["mild"],
            "motion": (0, 0),
            "disk": (0, 0),
            "gauss": (0, 0),
            "shake": (1, 1),
            "noise": (0, 0),
            "jpeg": (98, 98),
        },
    )
    monkeypatch.setattr(photo, "_camera_psf", lambda rng, cell: (np.ones((1, 1)), {"blur": "none"}))
    read = 0
    for index in (0, 3, 6):
        item = photo._photo_item(
            index, photo.PHOTO_SEED, photo._payload_specs(3 * (index + 1))[3 * index : 3 * index + 3]
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


def test_bench_rows_count_codes_and_false_reads(tiny):
    rows = run_photo_bench(["zxing-only"], progress=False, items=tiny)
    cells = [r["cell"] for r in rows]
    assert cells == [*CELLS, "all"]
    total = rows[-1]
    assert total["n"] == sum(len(it.codes) for it in tiny)
    assert total["images"] == len(tiny)
    assert 0 <= total["decoded"] <= total["n"] and total["false_reads"] == 0
    assert total["rate"] == pytest.approx(total["decoded"] / total["n"])
    assert sum(r["n"] for r in rows[:-1]) == total["n"]


def test_speed_is_split_by_whether_zxing_alone_reads_the_whole_photo(tiny):
    rows = run_photo_bench(["zxing-only"], progress=False, items=tiny)
    total = rows[-1]
    # for zxing-only itself, a photo it reads completely is exactly one where every code was decoded
    complete = [
        set(it.payloads) <= photo._read_zxing(it.image) for it in tiny
    ]
    assert total["images_zxing_reads_all"] == sum(complete)
    assert (total["ms_zxing_reads_all"] is None) == (not any(complete))
    assert (total["ms_others"] is None) == all(complete)
    by_cell = {r["cell"]: r for r in rows}
    assert sum(by_cell[c]["images_zxing_reads_all"] for c in CELLS) == total["images_zxing_reads_all"]


def test_unknown_method_is_a_usage_error():
    from qrdeblur.errors import UsageError

    with pytest.raises(UsageError, match="unknown photo method"):
        run_photo_bench(["nope"], progress=False, items=[])
    with pytest.raises(UsageError, match="unknown photo method"):
        run_photo_bench(["opencv:x.onnx"], progress=False, items=[])
    with pytest.raises(UsageError, match="missing.onnx: model file not found"):
        run_photo_bench(["scan:missing.onnx"], progress=False, items=[])
    assert set(PHOTO_METHODS) == {"zxing-only", "opencv", "scan"}


def test_scan_reads_at_least_what_zxing_reads_with_no_false_reads(tiny):
    rows = run_photo_bench(["zxing-only", "scan"], progress=False, items=tiny[:3])
    total = {r["method"]: r for r in rows if r["cell"] == "all"}
    assert total["scan"]["decoded"] >= total["zxing-only"]["decoded"]
    assert total["scan"]["false_reads"] == 0


def test_scan_with_an_explicit_model_is_the_same_reader(tiny):
    from qrdeblur.restore.deblurrer import scan_model_path

    method = f"scan:{scan_model_path()}"  # scan's own default, named
    rows = run_photo_bench(["scan", method], progress=False, items=tiny[:2])
    total = {r["method"]: r for r in rows if r["cell"] == "all"}
    assert total[method]["decoder"] == "zxing-cpp"
    assert total[method]["decoded"] == total["scan"]["decoded"]
