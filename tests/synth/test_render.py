"""Rendering: every render and every preset's sharp image decodes (zxing-cpp as the oracle)."""

from functools import cache

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.qrspec import QUIET_ZONE, modules
from qrdeblur.synth.payloads import ALPHANUMERIC
from qrdeblur.synth.presets import PairStream
from qrdeblur.synth.render import ECC_LEVELS, QRSpec, make_symbol, render_code, symbol_info

_LONG = "".join(ALPHANUMERIC[(7 * i + 3) % len(ALPHANUMERIC)] for i in range(400)).replace(" ", "-")


@cache
def fullest_payload(version: int, ecc: str) -> str:
    """The longest prefix of a fixed alphanumeric string that fits ``version`` at ``ecc``."""
    lo, hi = 1, len(_LONG)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            make_symbol(QRSpec(_LONG[:mid], version, ecc, mask=0))
            lo = mid
        except UsageError:
            hi = mid - 1
    return _LONG[:lo]


@pytest.mark.parametrize("ecc", ECC_LEVELS)
@pytest.mark.parametrize("version", range(1, 11))
def test_render_code_decodes_at_3px_per_module(version, ecc, decode_texts):
    payload = fullest_payload(version, ecc)
    spec = QRSpec(payload, version, ecc)
    img = render_code(spec, module_px=3)
    assert symbol_info(spec) == {"version": version, "ecc": ecc}
    assert img.shape == ((modules(version) + 2 * QUIET_ZONE) * 3,) * 2
    assert img.dtype == np.float32
    assert decode_texts(img) == [payload]


@pytest.mark.parametrize("ecc", ECC_LEVELS)
@pytest.mark.parametrize("version", [1, 2])
def test_render_code_decodes_at_80px(version, ecc, decode_texts):
    payload = fullest_payload(version, ecc)
    img = render_code(QRSpec(payload, version, ecc), size_px=80)
    assert img.shape == (80, 80)
    # fractional modules are area-averaged: grey levels appear between the two print levels
    assert ((img > 0.05) & (img < 0.95)).any()
    assert decode_texts(img) == [payload]


@pytest.mark.parametrize("seed", range(6))
def test_paper_preset_sharp_decodes(seed, decode_texts):
    stream = PairStream("paper", seed)
    for _ in range(4):
        pair = next(stream)
        assert decode_texts(pair.sharp) == [pair.meta["payload"]], pair.meta


@pytest.mark.parametrize("seed", range(4))
def test_default_preset_sharp_decodes_when_it_frames_a_whole_code(seed, decode_texts):
    stream = PairStream("default", seed)
    whole = 0
    for _ in range(24):
        pair = next(stream)
        if pair.meta["framing"] == "window":  # part of a larger code: nothing to decode
            continue
        whole += 1
        assert decode_texts(pair.sharp) == [pair.meta["payload"]], pair.meta
    assert whole >= 5


def test_paper_preset_with_enrolled_payloads_decodes(decode_texts):
    enrolled = ["LOT 4711-A", "https://example.com/p/1234", "Ünïcødé ✓ 名前"]
    stream = PairStream("paper", 3, payloads=enrolled)
    for _ in range(9):
        pair = next(stream)
        assert decode_texts(pair.sharp) == [pair.meta["payload"]]


def test_payload_too_long_for_the_version_names_version_and_ecc():
    with pytest.raises(UsageError) as info:
        render_code(QRSpec("A" * 100, 1, "H"), size_px=80)
    msg = str(info.value)
    assert "version 1" in msg and "ECC level H" in msg and "100 characters" in msg
    assert "\n" not in msg


def test_payload_too_long_for_any_version():
    with pytest.raises(UsageError) as info:
        make_symbol(QRSpec("A" * 8000, None, "M"))
    msg = str(info.value)
    assert "8000 characters" in msg and "any QR version" in msg and "ECC level M" in msg


@pytest.mark.parametrize(
    "spec,kwargs,value",
    [
        (QRSpec("HI", 1, "X"), {"size_px": 80}, "'X'"),
        (QRSpec("HI", 41, "M"), {"size_px": 80}, "41"),
        (QRSpec("HI"), {"size_px": 80, "module_px": 3}, "exactly one"),
        (QRSpec("HI"), {}, "exactly one"),
        (QRSpec("HI"), {"module_px": 0}, "0"),
        (QRSpec("HI"), {"size_px": 4}, "4"),
        (QRSpec("HI"), {"size_px": 80, "quiet_zone": -1}, "-1"),
        (QRSpec("HI"), {"size_px": 80, "dark": -0.1}, "-0.1"),
        (QRSpec("HI"), {"size_px": 80, "light": 1.5}, "1.5"),
    ],
)
def test_bad_render_arguments(spec, kwargs, value):
    with pytest.raises(UsageError, match=value.replace(".", r"\.")):
        render_code(spec, **kwargs)


def test_rgb_has_three_equal_channels(decode_texts):
    spec = QRSpec("RGB CODE 42", 2, "Q")
    grey = render_code(spec, size_px=80)
    rgb = render_code(spec, size_px=80, rgb=True)
    assert rgb.shape == (80, 80, 3) and rgb.dtype == np.float32
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], grey)
    assert decode_texts(rgb) == ["RGB CODE 42"]


def test_dark_and_light_levels_are_honoured(decode_texts):
    spec = QRSpec("LEVELS", 1, "M", mask=2)
    crisp = render_code(spec, module_px=3, dark=0.2, light=0.9)
    np.testing.assert_allclose(np.unique(crisp), [0.2, 0.9], atol=1e-6)
    # dark modules land where the symbol has them (quiet zone light), and the code still reads
    matrix = np.array(make_symbol(spec).matrix, dtype=bool)
    inner = crisp[12:-12:3, 12:-12:3]  # one sample per module, quiet zone of 4 x 3 px removed
    np.testing.assert_array_equal(inner < 0.5, matrix)
    assert (crisp[:12] == np.float32(0.9)).all()
    assert decode_texts(crisp) == ["LEVELS"]
    area = render_code(spec, size_px=80, dark=0.2, light=0.9)
    assert area.min() == pytest.approx(0.2, abs=1e-6) and area.max() == pytest.approx(0.9, abs=1e-6)
