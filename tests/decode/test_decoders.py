"""Decoders: each real decoder reads a rendered code, its bytes and where it is."""

import numpy as np
import pytest

from qrdeblur.decode import DECODERS, get_decoder, upscale_for_decoding
from qrdeblur.decode.decoders import as_uint8_grey
from qrdeblur.errors import UsageError
from qrdeblur.synth.payloads import random_alphanumeric
from qrdeblur.synth.render import QRSpec, render_code

ALL = ["zxing-cpp", pytest.param("zbar", marks=pytest.mark.zbar_available), "opencv"]

MODULE_PX, QUIET = 4, 4
TOP, LEFT = 30, 17  # where the rendered image (quiet zone included) sits on the canvas


def _placed(spec, canvas_hw=(200, 240)):
    """A code pasted at (TOP, LEFT) on white; returns the image and the true code corners."""
    img = render_code(spec, module_px=MODULE_PX, quiet_zone=QUIET)
    canvas = np.ones(canvas_hw, np.float32)
    canvas[TOP : TOP + img.shape[0], LEFT : LEFT + img.shape[1]] = img
    side = img.shape[0] - 2 * QUIET * MODULE_PX
    x0, y0 = LEFT + QUIET * MODULE_PX, TOP + QUIET * MODULE_PX
    corners = np.array([[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side]], float)
    return canvas, corners


def _assert_corners_near(found, true, tol):
    found = np.asarray(found, float)
    assert found.shape == (4, 2), found
    # decoders list corners in their own order: match each true corner to its nearest found one
    dist = np.linalg.norm(found[None, :, :] - true[:, None, :], axis=2)
    nearest = dist.argmin(axis=1)
    assert sorted(nearest.tolist()) == [0, 1, 2, 3], (found, true)
    assert dist.min(axis=1).max() <= tol, (found, true)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("payload,version", [("HELLO WORLD 123", 1), ("https://example.com/q?id=42&x=y", 4)])
def test_decoder_reads_text_bytes_and_corners(name, payload, version):
    img, corners = _placed(QRSpec(payload, version, "M"))
    results = get_decoder(name).decode(img)
    assert len(results) == 1
    r = results[0]
    assert r.decoder == name
    assert r.text == payload
    assert r.raw == payload.encode("utf-8")
    _assert_corners_near(r.corners, corners, tol=1.5)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "text,encoded",
    [("Ünïcødé ✓ 名前", "utf-8"), ("naïve café", "latin-1")],  # segno: ISO-8859-1 when it can, else UTF-8
)
def test_decoder_reads_non_ascii_text(name, text, encoded):
    img = render_code(QRSpec(text, None, "M"), module_px=4)
    (r,) = get_decoder(name).decode(img)
    assert r.text == text
    # only zxing-cpp hands back the payload bytes; the others re-encode their text
    assert r.raw == text.encode(encoded if name == "zxing-cpp" else "utf-8")


@pytest.mark.parametrize("name", ALL)
def test_decoder_accepts_uint8_rgb_and_rotated_codes(name):
    img, corners = _placed(QRSpec("ROTATED 7", 2, "Q"))
    rgb_u8 = np.repeat((img * 255).astype(np.uint8)[..., None], 3, 2)
    turned = np.ascontiguousarray(np.rot90(rgb_u8))  # counter-clockwise: (x, y) -> (y, W - 1 - x)
    h, w = img.shape
    turned_corners = np.stack([corners[:, 1], w - corners[:, 0]], axis=1)
    results = get_decoder(name).decode(turned)
    assert [r.text for r in results] == ["ROTATED 7"]
    _assert_corners_near(results[0].corners, turned_corners, tol=1.5)


@pytest.mark.parametrize("name", ALL)
def test_small_crop_corners_come_back_in_input_pixels(name):
    # 80 px image: decoded at 4x, corners divided back
    spec = QRSpec("CROP 80 PX", 1, "L")
    img = render_code(spec, size_px=80)
    m = 80 / 29  # px per module (21 modules + 2 x 4 quiet)
    lo, hi = 4 * m, 80 - 4 * m
    true = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]])
    results = get_decoder(name).decode(img)
    assert [r.text for r in results] == ["CROP 80 PX"]
    _assert_corners_near(results[0].corners, true, tol=1.5)


@pytest.mark.parametrize("name", ALL)
def test_blank_image_gives_no_result(name):
    assert get_decoder(name).decode(np.full((100, 100), 0.8, np.float32)) == []


NON_UTF8 = b"\xff\xfeAB\x80\x81 caf\xe9"


def test_zxing_returns_non_utf8_payload_bytes_in_raw():
    img = render_code(QRSpec(NON_UTF8, None, "M"), module_px=4)
    (r,) = get_decoder("zxing-cpp").decode(img)
    assert r.raw == NON_UTF8
    assert r.text == NON_UTF8.decode("latin-1")  # QR's default byte-mode charset


@pytest.mark.xfail(strict=True, reason="ZBar and OpenCV return text only: a non-UTF-8 payload is read as "
                   "ISO-8859-1 and its raw bytes are lost (documented in DecodeResult)")
@pytest.mark.parametrize("name", [pytest.param("zbar", marks=pytest.mark.zbar_available), "opencv"])
def test_zbar_and_opencv_lose_non_utf8_raw_bytes(name):
    img = render_code(QRSpec(NON_UTF8, None, "M"), module_px=4)
    (r,) = get_decoder(name).decode(img)
    assert r.text == NON_UTF8.decode("latin-1")  # they do read it ...
    assert r.raw == NON_UTF8  # ... but not its bytes


@pytest.mark.parametrize(
    "shape,min_side,factor",
    [
        ((80, 80), 320, 4),
        ((100, 150), 320, 4),
        ((81, 200), 320, 4),
        ((320, 500), 320, 1),
        ((600, 400), 320, 1),
        ((80, 80), 100, 2),
    ],
)
def test_upscale_for_decoding_factor(shape, min_side, factor):
    img = np.random.default_rng(0).random(shape).astype(np.float32)
    big, f = upscale_for_decoding(img, min_side=min_side)
    assert f == factor
    assert big.shape == (shape[0] * factor, shape[1] * factor)
    assert min(big.shape) >= min(min_side, min(shape))
    if factor == 1:
        assert big is img
    nearest, _ = upscale_for_decoding(img, min_side=min_side, interpolation="nearest")
    np.testing.assert_array_equal(nearest[::factor, ::factor], img)


def test_upscaling_helps_small_crops():
    """80 px codes at ~2.2 px per module: OpenCV needs the upscale (measured: 8/40 without, 38/40 with)."""
    rng = np.random.default_rng(0)
    codes = []
    for _ in range(20):
        p = random_alphanumeric(rng, 17, 20)
        codes.append((p, render_code(QRSpec(p, 2, "L"), size_px=80)))
    plain, upscaled = get_decoder("opencv", min_side=0), get_decoder("opencv")
    n_plain = sum([r.text for r in plain.decode(img)] == [p] for p, img in codes)
    n_up = sum([r.text for r in upscaled.decode(img)] == [p] for p, img in codes)
    assert n_up >= 17 and n_plain <= 10, (n_plain, n_up)


def test_unknown_decoder_and_interpolation_are_usage_errors():
    with pytest.raises(UsageError) as info:
        get_decoder("zxing")
    msg = str(info.value)
    assert "'zxing'" in msg and all(n in msg for n in DECODERS)
    with pytest.raises(UsageError, match="'bicubic'"):
        get_decoder("zxing-cpp", interpolation="bicubic")
    with pytest.raises(UsageError, match="'bicubic'"):
        upscale_for_decoding(np.zeros((500, 500), np.uint8), interpolation="bicubic")


def test_as_uint8_grey_conversions():
    f = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    u8 = as_uint8_grey(f)
    assert u8.dtype == np.uint8 and u8[0, 0] == 0 and u8[-1, -1] == 255
    np.testing.assert_array_equal(as_uint8_grey(np.repeat(f[..., None], 3, 2)), u8)
    rgba = np.concatenate([np.repeat(u8[..., None], 3, 2), np.full((3, 4, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(as_uint8_grey(rgba), u8)
    u16 = (f * 65535).astype(np.uint16)
    np.testing.assert_array_equal(as_uint8_grey(u16), u16 >> 8)
    with pytest.raises(UsageError, match=r"\(2, 3, 4, 5\)"):
        as_uint8_grey(np.zeros((2, 3, 4, 5), np.uint8))


def _symbol_image(symbol, module_px=6, quiet=4):
    """A segno symbol drawn dark on light (uint8), ``quiet`` modules of white round it."""
    matrix = np.pad(np.array(symbol.matrix, bool), quiet)
    return (np.kron(~matrix, np.ones((module_px, module_px), bool)) * 255).astype(np.uint8)


@pytest.mark.parametrize("version", ["M1", "M2", "M3", "M4"])
def test_zxing_reports_micro_qr_only_when_asked_and_never_m1(version):
    """zxing-cpp 3 reads Micro QR as part of the QR family; M1 (error detection only) is refused even
    when Micro QR is asked for, M2-M4 only then."""
    import segno
    import zxingcpp

    from qrdeblur.decode.zxing import read_as_loaded, read_grey

    image = _symbol_image(segno.make_micro("12345", version=version))
    raw = [r.text for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)]
    assert raw == ["12345"]  # zxing-cpp itself reads it
    assert read_grey(image, errors=True) == ([], [])
    assert read_as_loaded(image) == []
    assert get_decoder("zxing-cpp").decode(image) == []
    asked = [r.text for r in read_grey(image, micro=True)[0] + read_as_loaded(image, micro=True)]
    assert asked == ([] if version == "M1" else ["12345", "12345"])


def test_zxing_still_reports_a_qr_code_beside_micro_qr():
    import segno

    from qrdeblur.decode.zxing import read_as_loaded, read_grey

    qr = _symbol_image(segno.make("12345", micro=False))
    micro = _symbol_image(segno.make_micro("67890", version="M1"))
    image = np.full((max(qr.shape[0], micro.shape[0]), qr.shape[1] + micro.shape[1]), 255, np.uint8)
    image[: qr.shape[0], : qr.shape[1]] = qr
    image[: micro.shape[0], qr.shape[1] :] = micro
    assert [r.text for r in read_grey(image)[0]] == ["12345"]
    assert [r.text for r in read_as_loaded(image)] == ["12345"]


def test_texture_on_a_curved_can_is_not_read_as_micro_qr():
    """The hard suite's item 103 (a code on a cylinder): zxing-cpp alone reads the can's texture as an
    M1 Micro QR code; the wrapper reports nothing that is not the item's payload."""
    import zxingcpp

    from qrdeblur.bench.suites.hard import HARD_SEED, hard_item
    from qrdeblur.decode.zxing import read_as_loaded, read_grey
    from qrdeblur.synth.reserved import hard_payload_specs

    item = hard_item(103, HARD_SEED, hard_payload_specs(104)[103])
    raw = zxingcpp.read_barcodes(item.image, text_mode=zxingcpp.TextMode.Plain)
    assert any(r.text not in item.payloads for r in raw)  # the false read this guards against
    texts = [r.text for r in read_as_loaded(item.image) + read_grey(item.image)[0]]
    assert set(texts) <= set(item.payloads)
