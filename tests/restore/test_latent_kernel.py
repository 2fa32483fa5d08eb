"""The learned blur estimate's non-learned half: a picture of the sharp scene -> fitted kernel -> Wiener.

The network is replaced by the true sharp scene (the best picture it could give) or by a flat one (the
worst), so these tests check the fitting and restoring, with zxing-cpp as the oracle."""

import numpy as np
import pytest

from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.latent_kernel import code_region, latent_kernel_restorations, latent_picture, to_image_kernel
from qrdeblur.synth import kernels
from qrdeblur.synth.shake import frame_scale, shake_scene, to_frame

SPEC = ("LATENT-KERNEL-TEST-7", 3, "M")


def _scene(extent=(7.0, 8.0), seed=4):
    return shake_scene(np.random.default_rng(seed), SPEC, "test", extent, linear_share=0.0)


def _texts(x):
    return {r.text for r in read_grey((np.clip(x, 0, 1) * 255).round().astype(np.uint8))[0]}


def _true_picture(item, sharp):
    x0, y0, x1, y1 = code_region(item.corners, sharp.shape)
    truth = to_frame(sharp[y0:y1, x0:x1], frame_scale(item.corners))

    def picture(frame):
        assert frame.shape == truth.shape
        return truth

    return picture


def test_the_true_picture_gives_a_kernel_that_reads_a_code_blurred_over_seven_modules():
    item, sharp = _scene()
    grey = item.image.astype(np.float32) / 255.0
    assert SPEC[0] not in _texts(grey)
    restorations = latent_kernel_restorations(grey, item.corners, _true_picture(item, sharp))
    got = [SPEC[0] in _texts(r) for _, r, _ in restorations]
    assert any(got)


def test_a_flat_picture_reads_nothing_and_nothing_false():
    item, _ = _scene()
    grey = item.image.astype(np.float32) / 255.0
    texts = set()
    for k, r, _ in latent_kernel_restorations(grey, item.corners, lambda f: np.full_like(f, 0.5), rounds=1):
        assert np.isclose(k.sum(), 1.0) and k.min() >= 0
        texts |= _texts(r)
    assert texts <= {SPEC[0]} and SPEC[0] not in texts


def test_a_frame_kernel_keeps_its_shape_in_image_pixels():
    path = kernels.shake_path(np.random.default_rng(2), 1.0) * 20
    k = kernels.path_kernel(path)
    small = kernels.centred(kernels.path_kernel(path * 0.5), 31)
    back = to_image_kernel(small, 0.5)
    assert back.shape[0] % 2 == 1 and np.isclose(back.sum(), 1.0)
    def moments(q):  # centroid (from the centre) and covariance, px
        ys, xs = np.mgrid[: q.shape[0], : q.shape[1]] - q.shape[0] // 2
        c = np.array([(q * xs).sum(), (q * ys).sum()])
        d = np.stack([xs - c[0], ys - c[1]])
        return c, np.einsum("iyx,jyx,yx->ij", d, d, q)

    (c1, v1), (c2, v2) = moments(back), moments(k)
    assert np.abs(c1 - c2).max() < 1.0
    assert np.abs(v1 - v2).max() < 0.1 * np.abs(v2).max() + 1.0


def test_no_network_means_no_picture():
    assert latent_picture(None) is None


def test_an_explicit_network_that_is_missing_is_an_error(tmp_path):
    from qrdeblur.errors import UsageError

    with pytest.raises(UsageError, match="not found"):
        latent_picture(tmp_path / "absent.onnx")
