"""Contrast helpers: the percentile stretch the restorers see."""

import numpy as np

from qrdeblur.contrast import stretch_contrast


def test_stretch_contrast_maps_the_percentiles_to_black_and_white():
    rng = np.random.default_rng(3)
    grey = rng.integers(90, 151, size=(64, 64)).astype(np.uint8)  # a dull grey-on-grey crop
    grey[0, :3] = (0, 255, 255)  # a few outliers must not set the range
    out = stretch_contrast(grey)
    assert out.dtype == np.uint8 and out.shape == grey.shape
    lo, hi = np.percentile(out, (1, 99))
    assert lo <= 3 and hi >= 252
    # order is kept: a brighter input pixel is never darker after the stretch
    order = np.argsort(grey.ravel(), kind="stable")
    assert np.all(np.diff(out.ravel()[order].astype(int)) >= 0)


def test_stretch_contrast_leaves_a_flat_image_alone():
    flat = np.full((20, 30), 77, np.uint8)
    assert np.array_equal(stretch_contrast(flat), flat)
