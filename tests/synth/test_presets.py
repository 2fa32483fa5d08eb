"""Presets and PairStream: seeded, shard-independent, complete metadata, no benchmark payloads."""

import json

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.qrspec import modules
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth import reserved as reserve
from qrdeblur.synth.presets import PRESETS, PairStream, fit_symbol, get_preset
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

PRESET_NAMES = sorted(PRESETS)


def _take(stream, n):
    return [next(stream) for _ in range(n)]


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_same_seed_gives_identical_pairs(preset):
    a, b = _take(PairStream(preset, 5), 6), _take(PairStream(preset, 5), 6)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.sharp, y.sharp)
        np.testing.assert_array_equal(x.blurred, y.blurred)
        assert x.meta == y.meta


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_shards_and_seeds_differ(preset):
    base = _take(PairStream(preset, 5, shard=0), 4)
    for other in (PairStream(preset, 5, shard=1), PairStream(preset, 6, shard=0)):
        for x, y in zip(base, _take(other, 4), strict=True):
            assert x.meta["payload"] != y.meta["payload"]
            assert not np.array_equal(x.blurred, y.blurred)


@pytest.mark.parametrize("preset,channels", [("paper", 3), ("default", None)])
@pytest.mark.parametrize("size", [80, 64])
def test_pairs_are_float32_in_unit_range_with_equal_shapes(preset, channels, size):
    for pair in _take(PairStream(preset, 1, size=size), 12):
        expected = (size, size, channels) if channels else (size, size)
        assert pair.sharp.shape == pair.blurred.shape == expected
        for img in (pair.sharp, pair.blurred):
            assert img.dtype == np.float32
            assert img.min() >= 0 and img.max() <= 1
        assert not np.array_equal(pair.sharp, pair.blurred)
        # blurred images are 8-bit quantised, as a saved PNG would be
        np.testing.assert_allclose(pair.blurred * 255, np.round(pair.blurred * 255), atol=1e-3)
        assert pair.meta["preset"] == preset and pair.meta["size"] == size
        assert json.loads(json.dumps(pair.meta)) == pair.meta


def test_paper_meta_reproduces_the_pair():
    """Every parameter is in meta: the sharp image exactly, the blurred one up to its noise."""
    for pair in _take(PairStream("paper", 9), 10):
        m = pair.meta
        assert 0 <= m["motion_length"] <= 20 and 0 <= m["motion_angle"] <= 20
        assert 1 <= m["gaussian_sigma"] <= 3
        assert m["version"] in (1, 2) and m["ecc"] in "LMQH" and 8 <= len(m["payload"]) <= 16
        symbol = make_symbol(QRSpec(m["payload"], m["version"], m["ecc"], m["mask"]))
        sharp = render_matrix(module_matrix(symbol, 4), size_px=m["size"])
        np.testing.assert_array_equal(pair.sharp, np.repeat(sharp[..., None], 3, 2))
        psf = kernels.compose(kernels.motion(m["motion_length"], m["motion_angle"]),
                              kernels.gaussian(m["gaussian_sigma"]))
        residual = pair.blurred[..., 0] - degrade.convolve(sharp, psf)
        # noise std 0.01 plus 8-bit rounding (std 1/255/sqrt(12)); clipping at 0 and 1 only lowers it
        assert m["noise"] == "gaussian" and m["noise_std"] == 0.01
        assert 0.006 < residual.std() < 0.0115
        assert abs(residual.mean()) < 0.003


def test_default_meta_reproduces_unwarped_sharp_targets():
    checked = {"clean": 0, "whole": 0, "window": 0}
    for pair in _take(PairStream("default", 4), 40):
        m = pair.meta
        for key in ("payload", "version", "ecc", "mask", "module_px", "framing", "rot90", "dark", "light"):
            assert key in m, key
        assert "noise" in m and m["framing"] in ("clean", "whole", "window")
        if "warp" in m:
            continue
        symbol = make_symbol(QRSpec(m["payload"], m["version"], m["ecc"], m["mask"]))
        if m["framing"] in ("clean", "whole"):
            sharp = render_matrix(module_matrix(symbol, m["quiet_zone"]), size_px=m["size"])
        else:
            full = render_matrix(module_matrix(symbol, 4), size_px=m["render_px"])
            full = np.pad(full, m["size"] // 2, constant_values=1.0)
            y, x = m["window"]
            sharp = full[y : y + m["size"], x : x + m["size"]]
        np.testing.assert_array_equal(pair.sharp, np.rot90(sharp, m["rot90"]))
        checked[m["framing"]] += 1
    assert min(checked.values()) >= 3, checked


def test_default_covers_its_documented_ranges():
    pairs = _take(PairStream("default", 2), 150)
    metas = [p.meta for p in pairs]
    versions = {m["version"] for m in metas}
    assert min(versions) == 1 and max(versions) >= 6 and max(versions) <= 10
    assert {m["ecc"] for m in metas} == set("LMQH")
    windows = [m["module_px"] for m in metas if m["framing"] == "window"]
    assert 2.2 <= min(windows) < 2.5 and 3.7 < max(windows) <= 4.05
    angles = [m["motion_angle"] for m in metas if "motion_angle" in m]
    assert min(angles) < 30 and max(angles) > 150
    assert max(m.get("motion_length", 0) for m in metas) > 20
    for key in ("disk_radius", "shake_length", "wear", "lighting", "jpeg_quality", "warp", "photons"):
        assert any(key in m for m in metas), key


def test_default_never_emits_a_reserved_payload(monkeypatch):
    """Reserve the payload the rng would draw first: the preset must skip it and draw another."""
    first = next(PairStream("default", 17)).meta["payload"]
    monkeypatch.setattr(reserve, "is_reserved_payload", lambda p: p == first)
    pair = next(PairStream("default", 17))
    assert pair.meta["payload"] != first


def test_default_payloads_are_not_in_the_real_reserved_set():
    reserved = reserve.reserved_payloads()
    assert len(reserved) > 100
    assert all(next_pair.meta["payload"] not in reserved for next_pair in _take(PairStream("default", 0), 20))
    # enrolled payloads that include a benchmark payload: that one is never used
    bench_payload = sorted(reserved)[0]
    stream = PairStream("default", 0, payloads=[bench_payload, "MINE 1"])
    assert {p.meta["payload"] for p in _take(stream, 10)} == {"MINE 1"}


def test_default_with_only_reserved_payloads_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(reserve, "is_reserved_payload", lambda p: True)
    with pytest.raises(UsageError, match="reserved"):
        next(PairStream("default", 0, payloads=["A", "B"]))


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_enrolled_payloads_are_the_only_ones_used(preset):
    enrolled = ["LOT 4711-A", "https://example.com/p/1234", "Ünïcødé ✓"]
    used = [p.meta["payload"] for p in _take(PairStream(preset, 3, payloads=enrolled), 30)]
    assert set(used) == set(enrolled)


def test_paper_with_enrolled_payloads_uses_ecc_m():
    for pair in _take(PairStream("paper", 1, payloads=["ENROLLED 1"]), 5):
        assert pair.meta["ecc"] == "M" and pair.meta["payload"] == "ENROLLED 1"


def test_unknown_preset_lists_the_choices():
    with pytest.raises(UsageError) as info:
        get_preset("papr")
    assert "'papr'" in str(info.value) and "paper" in str(info.value) and "default" in str(info.value)
    with pytest.raises(UsageError):
        PairStream("papr", 0)


def test_fit_symbol_prefers_allowed_versions_and_falls_back():
    rng = np.random.default_rng(0)
    spec, symbol = fit_symbol("SHORT 1", rng, (1, 2), "H")
    assert symbol.version in (1, 2) and spec.ecc == "H"
    # too long for versions 1-2 at H: first larger version that fits
    spec, symbol = fit_symbol("A" * 60, rng, (1, 2), "H")
    assert spec.version is None and symbol.version > 2 and str(symbol.error) == "H"
    # fits no version at H but does at a lower level: lower the ECC instead of failing mid data set
    spec, symbol = fit_symbol("A" * 2000, rng, (1, 2), "H")
    assert str(symbol.error) == "Q"
    with pytest.raises(UsageError, match="5000 characters"):
        fit_symbol("A" * 5000, rng, (1, 2), "H")


def test_shake_frame_pairs_centre_the_code_at_the_frame_scale():
    from qrdeblur.synth.shake import FRAME_SIDE

    stream = PairStream("shake-frame", 5, size=144)
    for _ in range(6):
        pair = next(stream)
        assert pair.sharp.shape == pair.blurred.shape == (144, 144)
        assert 0.5 <= pair.meta["extent_modules"] <= 13.0
        # the sharp label fills the frame's centre, as large as the outline's scale says (within the
        # outline's jitter and the perspective)
        dark = pair.sharp < 0.5 * (pair.sharp.min() + pair.sharp.max())
        assert dark[52:92, 52:92].mean() > 0.15
        side = pair.meta["frame_scale"] * pair.meta["module_px"] * modules(pair.meta["version"])
        assert 0.5 * FRAME_SIDE < side < 1.15 * FRAME_SIDE
