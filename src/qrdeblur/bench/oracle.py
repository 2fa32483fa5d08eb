"""The ``oracle`` scene method: the best non-blind restoration, given each code's true blur and outline.

The ceiling every blind method is measured against. For each code of an item: Wiener deconvolution
of the region around its true outline with the item's true PSF, at a few noise balances, each decoded;
and the module-grid solver (:mod:`qrdeblur.restore.module_grid`) on the true outline under the true
PSF mapped into the grid's frame (:func:`qrdeblur.synth.kernels.warp_kernel` by the outline's local
scale and rotation), decoded. Every text either reads counts, as for any reader.

Items need ``psf`` (the blur, image px) and, per code, the symbol's outline and version: the ``shake``
items (``corners``, ``version``) and the ``photo`` items (``codes``).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from qrdeblur.decode.zxing import read_grey
from qrdeblur.errors import UsageError
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.module_grid import PX, render_modules, solve_codes
from qrdeblur.synth.kernels import warp_kernel

#: Wiener's noise-to-signal balances tried, each decoded.
BALANCES = (0.003, 0.01, 0.03)


def _codes_of(item) -> Iterable[tuple[np.ndarray, int]]:
    """(outline, version) of each code of ``item``."""
    if hasattr(item, "codes"):
        return [(np.asarray(c.corners, dtype=np.float64), c.version) for c in item.codes]
    return [(np.asarray(item.corners, dtype=np.float64), item.version)]


def grid_frame(quad: np.ndarray, version: int) -> np.ndarray:
    """The 2x2 linear map from image px to the grid's crop px (``PX`` per module) at the outline's centre."""
    n = modules(version)
    src = np.float32([[0, 0], [n, 0], [n, n], [0, n]])
    hom = cv2.getPerspectiveTransform(src, quad.astype(np.float32))  # modules -> image
    c = np.array([n / 2, n / 2, 1.0])
    p = hom @ c
    jac = (hom[:2, :2] * p[2] - np.outer(p[:2], hom[2, :2])) / p[2] ** 2  # d(image) / d(modules)
    return PX * np.linalg.inv(jac)


def _wiener_reads(grey: np.ndarray, quad: np.ndarray, psf: np.ndarray) -> set[str]:
    pad = psf.shape[0] + 16
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + pad
    h, w = grey.shape
    crop = grey[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)].astype(np.float32) / 255.0
    texts = set()
    for balance in BALANCES:
        out = np.clip(wiener_oracle(crop, psf, balance), 0, 1)
        texts |= {r.text for r in read_grey((out * 255).round().astype(np.uint8))[0]}
    return texts


def _grid_reads(grey: np.ndarray, quad: np.ndarray, version: int, psf: np.ndarray) -> set[str]:
    kernel = warp_kernel(psf, grid_frame(quad, version))
    texts = set()
    for sol in solve_codes(grey.astype(np.float32) / 255.0, quad, version, kernel, 0):
        texts |= {r.text for r in read_grey(render_modules(sol.dark))[0]}
    return texts


def read_with_truth(item) -> set[str]:
    """The texts the non-blind restorations read in ``item`` (see the module docstring)."""
    if getattr(item, "psf", None) is None:
        raise UsageError("the oracle needs items that carry their true PSF (suites shake and photo)")
    grey = to_grey(item.image)
    texts: set[str] = set()
    for quad, version in _codes_of(item):
        texts |= _wiener_reads(grey, quad, item.psf)
        texts |= _grid_reads(grey, quad, version, item.psf)
    return texts


class OracleReader:
    """The ``oracle`` scene method: reads an item (not only its image) with its true blur and outline."""

    name = "oracle"
    decoder = "zxing-cpp"

    def read(self, image: np.ndarray) -> set[str]:
        raise UsageError("the oracle reads suite items with their true blur, not bare images")

    def read_item(self, item) -> set[str]:
        return read_with_truth(item)
