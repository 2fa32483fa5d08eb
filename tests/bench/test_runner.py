"""The runner, the method registry and the report on tiny crop suites, judged by real decoders."""

import csv
import dataclasses
import json

import numpy as np
import pytest

from qrdeblur.bench import methods as methods_mod
from qrdeblur.bench import suites as suites_mod
from qrdeblur.bench.methods import METHODS, PerImageMethod, get_method, method_choices, register_method
from qrdeblur.bench.report import format_table, summary
from qrdeblur.bench.runner import COLUMNS, run_bench
from qrdeblur.bench.scoring import score_crops
from qrdeblur.bench.suites import SUITES, Suite, get_suite
from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.errors import UsageError
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.paper80 import CropItem
from qrdeblur.synth.render import QRSpec, render_code


def _item(payload: str, cell: str, psf: np.ndarray | None) -> CropItem:
    sharp = render_code(QRSpec(payload, version=2, ecc="M", mask=0), size_px=80)
    blurred = sharp if psf is None else degrade.convolve(sharp, psf)
    rgb = np.repeat(degrade.to_uint8(blurred)[..., None], 3, axis=2)
    return CropItem(
        blurred=rgb,
        sharp=degrade.to_uint8(sharp),
        payloads=[payload],
        cell=cell,
        psf=kernels.identity() if psf is None else psf,
    )


@pytest.fixture(scope="module")
def tiny_items():
    """Cell 'sharp': unblurred codes (raw decodes all); cell 'blur': motion 6 px + sigma 1 (raw fails)."""
    psf = kernels.compose(kernels.motion(6, 30), kernels.gaussian(1))
    return [_item(f"CODE {i}", "sharp", None) for i in range(2)] + [
        _item(f"BLUR {i}", "blur", psf) for i in range(2)
    ]


@pytest.fixture(scope="module")
def tiny(tiny_items):
    """A crop suite of its own, run through the same runner as the registered ones."""
    return Suite("tiny", "crop", lambda: tiny_items, score_crops)


@pytest.mark.zbar_available
def test_run_bench_writes_the_contract_files(tmp_path, tiny):
    out = tmp_path / "run"
    result = run_bench(tiny, ["raw", "wiener-oracle"], ["zxing-cpp", "zbar"], out, progress=False)

    with open(out / "results.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS == ("method", "decoder", "cell", "n", "decoded", "rate", "ms_per_image")
    body = rows[1:]
    assert len(body) == 2 * 2 * 2
    assert {(r[0], r[1], r[2]) for r in body} == {
        (m, d, c) for m in ("raw", "wiener-oracle") for d in ("zxing-cpp", "zbar") for c in ("sharp", "blur")
    }
    for r in body:
        n, decoded, rate = int(r[3]), int(r[4]), float(r[5])
        assert n == 2 and 0 <= decoded <= n and rate == pytest.approx(decoded / n) and float(r[6]) >= 0

    # the real decoder decides: sharp codes read raw, blurred ones need the oracle
    assert result.row("raw", "zxing-cpp", "sharp").decoded == 2
    assert result.row("raw", "zxing-cpp", "blur").decoded == 0
    assert result.row("wiener-oracle", "zxing-cpp", "blur").decoded == 2
    assert result.notes == [] and result.totals == {}  # crop suites print the table only

    data = json.loads((out / "summary.json").read_text())
    assert data["suite"] == "tiny"
    assert set(data["methods"]) == {"raw", "wiener-oracle"}
    for entry in data["methods"].values():
        assert set(entry) == {"decode_rate", "ms_per_image"}
    assert data["methods"]["raw"]["decode_rate"] == pytest.approx(0.5)
    assert data["methods"]["wiener-oracle"]["decode_rate"] == pytest.approx(1.0)
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.zbar_available
def test_summary_falls_back_to_the_first_decoder(tiny):
    result = run_bench(tiny, ["raw"], ["zbar"], None, progress=False)
    assert summary(result)["decoder"] == "zbar"
    assert summary(result)["methods"]["raw"]["decode_rate"] == pytest.approx(0.5)


def test_run_bench_builds_the_named_suite_once(monkeypatch, tiny_items):
    calls = []

    def build():
        calls.append("built")
        return tiny_items

    monkeypatch.setitem(SUITES, "paper80", dataclasses.replace(SUITES["paper80"], build=build))
    result = run_bench("paper80", ["raw", "sharpen"], ["zxing-cpp"], None, progress=True)
    assert calls == ["built"]
    assert result.suite == "paper80"
    assert result.cells == ["sharp", "blur"] and result.methods == ["raw", "sharpen"]
    assert len(result.rows) == 2 * 1 * 2


def test_items_replace_the_suite_build(monkeypatch, tiny_items):
    def build():
        raise AssertionError("the suite must not be built when items are given")

    monkeypatch.setitem(SUITES, "paper80", dataclasses.replace(SUITES["paper80"], build=build))
    result = run_bench("paper80", ["raw"], ["zxing-cpp"], None, progress=False, items=tiny_items)
    assert result.row("raw", "zxing-cpp", "sharp").decoded == 2


def test_every_method_sees_the_very_same_items(tiny):
    seen = {}

    def spy(name):
        def restore(grey, item):
            seen.setdefault(name, []).append(id(item))
            return grey

        return PerImageMethod(name, restore)

    register_method("spy-a", lambda arg: spy("spy-a"))
    register_method("spy-b", lambda arg: spy("spy-b"))
    try:
        run_bench(tiny, ["spy-a", "spy-b"], ["zxing-cpp"], None, progress=False)
    finally:
        METHODS.pop("spy-a")
        METHODS.pop("spy-b")
    items = tiny.build()
    # one untimed warm-up item, then every item once
    assert seen["spy-a"] == seen["spy-b"] and len(seen["spy-a"]) == len(items) + 1
    assert sorted(seen["spy-a"][1:]) == sorted(id(it) for it in items)
    assert seen["spy-a"][0] in seen["spy-a"][1:]


def test_format_table_lists_every_row(tiny):
    result = run_bench(tiny, ["raw", "wiener-oracle"], ["zxing-cpp"], None, progress=False)
    text = format_table(result)
    for word in ("raw", "wiener-oracle", "zxing-cpp", "sharp", "blur", "mean", "100", "50.0"):
        assert word in text


def test_unknown_names_raise_before_anything_is_built_or_written(tmp_path, monkeypatch):
    def build():
        raise AssertionError("names are checked before the suite is built")

    monkeypatch.setitem(SUITES, "paper80", dataclasses.replace(SUITES["paper80"], build=build))
    out = tmp_path / "run"
    crop_methods = "raw, sharpen, wiener-oracle[:BALANCE], rl-oracle[:ITERATIONS], wiener-unsup, finder-wiener"
    with pytest.raises(UsageError, match=r"unknown method 'nope' for suite 'paper80'; choose one of raw, sharpen") as e:
        run_bench("paper80", ["raw", "nope"], ["zxing-cpp"], out, progress=False)
    assert crop_methods in str(e.value) and "zxing-only" not in str(e.value)
    with pytest.raises(UsageError, match="unknown decoder"):
        run_bench("paper80", ["raw"], ["zxing"], out, progress=False)
    with pytest.raises(UsageError, match="twice"):
        run_bench("paper80", ["raw", "raw"], ["zxing-cpp"], out, progress=False)
    with pytest.raises(UsageError, match="unknown suite 'nope'; choose one of paper80, speed, photo, shake, hard"):
        run_bench("nope", ["raw"], ["zxing-cpp"], out, progress=False)
    assert not out.exists()


def test_a_method_of_the_wrong_kind_is_refused_naming_the_suites_methods(tmp_path, monkeypatch):
    for name in ("paper80", "photo"):
        monkeypatch.setitem(SUITES, name, dataclasses.replace(SUITES[name], build=lambda: pytest.fail("built")))
    with pytest.raises(UsageError) as e:
        run_bench("photo", ["zxing-only", "raw"], ["zxing-cpp"], tmp_path / "run", progress=False)
    message = str(e.value)
    assert message.startswith(
        "method 'raw' restores crops of whole codes, but suite 'photo' needs a method that reads whole photos; "
    )
    assert message.endswith("choose one of zxing-only, opencv, scan[:MODEL], scan-high[:MODEL], oracle, known[:N]")
    with pytest.raises(UsageError, match=r"method 'scan' reads whole photos, but suite 'paper80'.*choose one of raw, "):
        run_bench("paper80", ["scan:some.onnx"], ["zxing-cpp"], None, progress=False)
    assert not (tmp_path / "run").exists()


def test_existing_results_are_not_overwritten_silently(tmp_path, tiny):
    run_bench(tiny, ["raw"], ["zxing-cpp"], tmp_path, progress=False)
    before = (tmp_path / "results.csv").read_text()
    with pytest.raises(UsageError, match="already holds"):
        run_bench(tiny, ["sharpen"], ["zxing-cpp"], tmp_path, progress=False)
    assert (tmp_path / "results.csv").read_text() == before
    run_bench(tiny, ["sharpen"], ["zxing-cpp"], tmp_path, progress=False, overwrite=True)
    assert "sharpen" in (tmp_path / "results.csv").read_text()


def test_get_method_parses_arguments():
    assert get_method("raw").name == "raw"
    assert get_method("raw:").name == "raw"
    assert get_method("wiener-oracle:0.001").name == "wiener-oracle:0.001"
    assert get_method("rl-oracle:20").name == "rl-oracle:20"
    for bad in ("raw:3", "rl-oracle:abc", "rl-oracle:-5", "wiener-oracle:0", "no-such-method", "opencv:x.onnx"):
        with pytest.raises(UsageError):
            get_method(bad)
    with pytest.raises(UsageError, match="missing.onnx: model file not found"):
        get_method("scan:missing.onnx")


def test_the_registry_lists_methods_per_kind():
    assert method_choices("scene") == "zxing-only, opencv, scan[:MODEL], scan-high[:MODEL], oracle, known[:N]"
    crop = method_choices("crop").split(", ")
    assert crop[:2] == ["raw", "sharpen"] and "model[:PATH]" in crop and "paper-g[:PATH]" in crop
    scene = {"zxing-only", "opencv", "scan[:MODEL]", "scan-high[:MODEL]", "oracle", "known[:N]"}
    video = {"frame-any[:MODEL]", "video[:MODEL]"}
    assert method_choices("video") == "frame-any[:MODEL], video[:MODEL]"
    assert set(method_choices().split(", ")) == set(crop) | scene | video
    kinds = {
        "paper80": "crop", "speed": "crop", "photo": "scene", "shake": "scene", "hard": "scene", "conveyor": "video",
        "known": "scene",
    }
    assert {s.name: s.kind for s in SUITES.values()} == kinds
    assert get_suite("photo") is SUITES["photo"] and not SUITES["photo"].uses_decoders
    with pytest.raises(UsageError, match="unknown method 'nope' for crop items; choose one of raw"):
        get_method("nope", kind="crop")
    with pytest.raises(UsageError, match="method 'zxing-only' reads whole photos, but crop items need"):
        get_method("zxing-only", kind="crop")


def test_methods_return_uint8_grey(tiny_items):
    for name in ("raw", "sharpen", "wiener-oracle", "rl-oracle:10", "wiener-unsup"):
        out = get_method(name, kind="crop").restore_batch(tiny_items[:1])
        assert len(out) == 1 and out[0].dtype == np.uint8 and out[0].shape == (80, 80)


def test_oracle_without_psf_is_a_usage_error(tiny_items):
    item = tiny_items[0]
    no_psf = CropItem(item.blurred, item.sharp, item.payloads, item.cell, psf=None)
    with pytest.raises(UsageError, match="true PSF"):
        get_method("wiener-oracle").restore_batch([no_psf])


def test_register_method_rejects_bad_names_and_kinds():
    with pytest.raises(UsageError):
        register_method("a:b", lambda arg: None)
    with pytest.raises(UsageError, match="unknown method kind 'audio'; choose one of crop, scene, video"):
        register_method("fine", lambda arg: None, kind="audio")
    assert "raw" in methods_mod.METHODS and "fine" not in methods_mod.METHODS


def test_register_suite_adds_a_runnable_suite(tiny_items):
    suites_mod.register_suite(Suite("tiny-registered", "crop", lambda: tiny_items, score_crops))
    try:
        result = run_bench("tiny-registered", ["raw"], ["zxing-cpp"], None, progress=False)
    finally:
        SUITES.pop("tiny-registered")
    assert result.suite == "tiny-registered" and result.row("raw", "zxing-cpp", "sharp").decoded == 2


def test_paper80_runs_end_to_end_on_a_small_draw(tmp_path):
    items = paper80(per_cell=1, seed=7)
    result = run_bench("paper80", ["raw", "wiener-oracle"], ["zxing-cpp"], tmp_path, progress=False, items=items)
    assert len(result.cells) == 15 and len(result.rows) == 2 * 15
    assert result.row("raw", "zxing-cpp", "len0-s1").decoded == 1  # the unblurred-motion, sigma-1 cell reads
    assert result.row("wiener-oracle", "zxing-cpp", "len10-s1").decoded == 1  # the true kernel undoes 10 px
