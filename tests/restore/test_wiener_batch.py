"""Batched Wiener: same filter as the per-image oracle, batch-independent, fast path decodes what it does."""

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.wiener_batch import wiener_batch, wiener_batch_balances
from qrdeblur.synth.paper80 import paper80_crops


@pytest.fixture(scope="module")
def items():
    chosen = [it for it in paper80_crops(per_cell=2, seed=5) if it.cell in ("len10-s1", "len15-s1", "len5-s1")]
    grey = np.stack([it.blurred[..., 0] for it in chosen]).astype(np.float32) / 255
    return chosen, grey


def test_matches_the_oracle_and_reads_the_same_codes(items):
    chosen, grey = items
    fast = wiener_batch(grey, [it.psf for it in chosen])
    slow = np.stack([wiener_oracle(g, it.psf) for g, it in zip(grey, chosen, strict=True)])
    assert fast.shape == grey.shape and fast.dtype == np.float32
    # the pads differ (fixed here, 4 kernel radii there): the interiors agree closely
    assert np.abs(fast - slow)[:, 20:-20, 20:-20].mean() < 0.02
    raw = sum(decodes_correctly(g, it.payloads, "zxing-cpp") for g, it in zip(grey, chosen, strict=True))
    read = [decodes_correctly(f, it.payloads, "zxing-cpp") for f, it in zip(fast, chosen, strict=True)]
    oracle = [decodes_correctly(s, it.payloads, "zxing-cpp") for s, it in zip(slow, chosen, strict=True)]
    assert sum(read) >= sum(oracle) - 1 and sum(read) > raw


def test_same_pad_gives_the_oracle_exactly(items):
    """With the oracle's pad (4 radii + 1 of a square kernel) the result is scikit-image's, to float error."""
    _, grey = items
    psf = kernel_of(6, 30, 1.0)
    side = max(psf.shape) | 1
    square = np.zeros((side, side))
    top, left = (side - psf.shape[0]) // 2, (side - psf.shape[1]) // 2
    square[top : top + psf.shape[0], left : left + psf.shape[1]] = psf
    pad = 4 * (side // 2) + 1
    np.testing.assert_allclose(wiener_batch(grey[:2], [square, square], pad=pad),
                               np.stack([wiener_oracle(g, square) for g in grey[:2]]), atol=2e-4)


def test_result_does_not_depend_on_the_batch(items):
    chosen, grey = items
    psfs = [it.psf for it in chosen]
    together = wiener_batch(grey, psfs)
    alone = wiener_batch(grey[2:3], psfs[2:3])
    np.testing.assert_allclose(together[2], alone[0], atol=1e-5)


def test_identity_kernel_returns_the_image_and_huge_kernels_wrap():
    rng = np.random.default_rng(0)
    img = rng.random((2, 24, 30)).astype(np.float32)
    out = wiener_batch(img, [np.ones((1, 1)), np.ones((1, 1))], balance=1e-9)
    np.testing.assert_allclose(out, img, atol=1e-3)
    big = np.ones((101, 3))  # taller than the padded canvas: wraps, still a valid filter
    assert np.isfinite(wiener_batch(img[:1], [big])).all()


def test_bad_input():
    img = np.zeros((1, 8, 8), np.float32)
    with pytest.raises(UsageError, match="N, H, W"):
        wiener_batch(img[0], [np.ones((3, 3))])
    with pytest.raises(UsageError, match="1 images but 2 kernels"):
        wiener_batch(img, [np.ones((3, 3))] * 2)
    with pytest.raises(UsageError, match="positive finite sum"):
        wiener_batch(img, [np.zeros((3, 3))])
    with pytest.raises(UsageError, match="balance"):
        wiener_batch(img, [np.ones((3, 3))], balance=0)


def test_several_balances_at_once_are_each_balance_alone():
    rng = np.random.default_rng(3)
    images = rng.random((3, 40, 52)).astype(np.float32)
    psfs = [np.ones((1, k), np.float32) for k in (3, 7, 11)]
    both = wiener_batch_balances(images, psfs, (0.002, 0.05), pad=12)
    assert both.shape == (2, 3, 40, 52)
    for restored, balance in zip(both, (0.002, 0.05), strict=True):
        np.testing.assert_allclose(restored, wiener_batch(images, psfs, balance, pad=12), atol=1e-6)
    assert np.abs(both[0] - both[1]).max() > 0.01  # the balances differ


def test_one_image_for_many_kernels_fast_sizes_and_pads_per_axis():
    rng = np.random.default_rng(5)
    image = rng.random((1, 37, 53)).astype(np.float32)
    psfs = [np.ones((1, k)) for k in (3, 7, 11)]
    shared = wiener_batch_balances(image, psfs, (0.002,), pad=(4, 12))
    repeated = wiener_batch_balances(np.repeat(image, 3, 0), psfs, (0.002,), pad=(4, 12))
    np.testing.assert_allclose(shared, repeated, atol=1e-6)
    assert shared.shape == (1, 3, 37, 53)
    # a pad per axis is the scalar pad when both are equal
    np.testing.assert_allclose(wiener_batch_balances(image, psfs, (0.002,), pad=(9, 9)),
                               wiener_batch_balances(image, psfs, (0.002,), pad=9), atol=1e-6)
    # a canvas of a fast size changes only the boundary: the restored centre stays close, and the
    # images stay deblurred (sharper than the blurred input)
    fast = wiener_batch_balances(image, psfs, (0.002,), pad=(4, 12), fast_size=True)
    assert fast.shape == shared.shape
    centre = (slice(None), slice(None), slice(10, 27), slice(15, 38))
    assert float(np.abs(fast[centre] - shared[centre]).mean()) < 0.05
    with pytest.raises(UsageError, match="pad"):
        wiener_batch_balances(image, psfs, (0.002,), pad=(-1, 4))
