"""Restoring with adjusted blur estimates (``Deblurrer.deblur_variants``, ``kernel_wiener.adjust_blur``)."""

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.restore.deblurrer import Deblurrer, plain_model_path, scan_model_path
from qrdeblur.restore.kernel_wiener import adjust_blur, decode_blur, encode_blur
from qrdeblur.synth import kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def test_adjust_blur_scales_the_length_and_turns_the_angle_only():
    vectors = np.stack([encode_blur(10.0, 30.0, 0.8), encode_blur(6.0, 170.0, 1.2)])
    out = adjust_blur(vectors, [(1.1, 5.0), (0.5, 20.0)])
    assert np.allclose(decode_blur(out[0]), (11.0, 35.0, 0.8), atol=1e-3)
    assert np.allclose(decode_blur(out[1]), (3.0, 10.0, 1.2), atol=1e-3)  # 190 degrees is 10
    with_disk = adjust_blur(encode_blur(8.0, 90.0, 0.5, 2.0)[None], [(1.25, -10.0)])
    assert np.allclose(decode_blur(with_disk[0]), (10.0, 80.0, 0.5, 2.0), atol=1e-3)
    with pytest.raises(ValueError, match="2 blur estimates"):
        adjust_blur(vectors, [(1.0, 0.0)])


@pytest.fixture(scope="module")
def blurred_code():
    matrix = module_matrix(make_symbol(QRSpec("VARIANTS-1", 2, "M")), 4)
    sharp = render_matrix(matrix, module_px=3, dark=0.1, light=0.9)
    psf = kernels.compose(kernels.motion(9, 20), kernels.gaussian(0.6))
    import cv2

    blurred = cv2.filter2D(sharp, -1, psf[::-1, ::-1].astype(np.float32), borderType=cv2.BORDER_REPLICATE)
    return np.clip(np.round(blurred * 255), 0, 255).astype(np.uint8)


def test_scan_model_restores_once_per_hypothesis_and_the_identity_is_its_plain_output(blurred_code):
    model = Deblurrer.load(scan_model_path())
    assert model.adjustable
    outs = model.deblur_variants(blurred_code, [(1.0, 0.0), (0.8, 0.0), (1.0, 10.0)])
    assert len(outs) == 3 and all(o.shape == blurred_code.shape and o.dtype == np.uint8 for o in outs)
    assert np.array_equal(outs[0], model.deblur(blurred_code))
    # a different kernel in the Wiener step gives a different restoration
    assert np.mean(outs[0] != outs[1]) > 0.01 and np.mean(outs[0] != outs[2]) > 0.01


def test_a_model_without_a_blur_estimate_refuses_hypotheses(blurred_code):
    model = Deblurrer.load(plain_model_path())
    assert not model.adjustable
    with pytest.raises(UsageError, match="does not estimate a blur"):
        model.deblur_variants(blurred_code, [(1.0, 0.0)])


def test_hypotheses_need_a_grey_image(blurred_code):
    model = Deblurrer.load(scan_model_path())
    with pytest.raises(UsageError, match="grey"):
        model.deblur_variants(np.dstack([blurred_code] * 3), [(1.0, 0.0)])
