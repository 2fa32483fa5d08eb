"""Image metrics (QR-MAE as the paper's Eq. 8, PSNR, SSIM), decode rate, and decoding success."""

import numpy as np
import pytest

from qrdeblur.decode import get_decoder
from qrdeblur.errors import UsageError
from qrdeblur.metrics import decode_rate, decodes_correctly, psnr, qr_mae, ssim
from qrdeblur.synth.render import QRSpec, render_code


def test_qr_mae_of_identical_images_is_zero():
    img = np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)
    assert qr_mae(img, img) == 0.0


def test_qr_mae_grey_by_hand():
    a = np.array([[0, 10], [20, 30]], np.uint8)
    assert qr_mae(a, np.zeros_like(a)) == pytest.approx(15.0)


def test_qr_mae_averages_the_per_channel_means():
    # Eq. 8: (1/3) * sum_c mean_i |A_c - Â_c|; channel errors 3, 6, 12 on half the pixels
    original = np.zeros((4, 4, 3), np.uint8)
    restored = original.copy()
    restored[:2, :, 0], restored[:2, :, 1], restored[:2, :, 2] = 3, 6, 12
    assert qr_mae(restored, original) == pytest.approx((1.5 + 3.0 + 6.0) / 3)


def test_qr_mae_uses_0_255_units_for_float_images():
    assert qr_mae(np.full((2, 2), 0.5, np.float32), np.zeros((2, 2), np.uint8)) == pytest.approx(127.5)
    assert qr_mae(np.ones((3, 3)), np.full((3, 3), 255, np.uint8)) == 0.0


def test_psnr_and_ssim():
    a = np.full((16, 16), 100, np.uint8)
    b = a + np.uint8(10)  # MSE 100
    assert psnr(a, a) == float("inf")
    assert psnr(b, a) == pytest.approx(10 * np.log10(255**2 / 100))
    img = render_code(QRSpec("HELLO"), module_px=3)
    assert ssim(img, img) == pytest.approx(1.0)
    noisy = np.clip(img + np.random.default_rng(1).normal(0, 0.2, img.shape), 0, 1)
    assert ssim(noisy, img) < 0.8
    rgb = np.repeat(img[..., None], 3, axis=2)
    assert ssim(rgb, rgb) == pytest.approx(1.0)


def test_shape_mismatch_and_bad_dtype_raise():
    with pytest.raises(UsageError):
        qr_mae(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(UsageError):
        psnr(np.zeros((4, 4), np.int32), np.zeros((4, 4), np.int32))


def test_decode_rate():
    assert decode_rate(3, 4) == 0.75
    assert decode_rate(0, 5) == 0.0
    for bad in ((1, 0), (5, 4), (-1, 4)):
        with pytest.raises(UsageError):
            decode_rate(*bad)


@pytest.mark.parametrize("decoder", ["zxing-cpp", pytest.param("zbar", marks=pytest.mark.zbar_available)])
def test_decodes_correctly_with_a_real_decoder(decoder):
    img = render_code(QRSpec("PAYLOAD-1"), module_px=4)
    dec = get_decoder(decoder)
    assert decodes_correctly(img, "PAYLOAD-1", dec)
    assert decodes_correctly(img, ["PAYLOAD-1"], decoder)  # a name works too
    assert not decodes_correctly(img, "PAYLOAD-2", dec)  # a wrong text is a failure
    assert not decodes_correctly(img, ["PAYLOAD-1", "OTHER"], dec)  # every payload must be found
    assert not decodes_correctly(np.ones((80, 80), np.float32), "PAYLOAD-1", dec)
    assert not decodes_correctly(img, [], dec)
