"""Blind kernel estimate from the finder patterns, then Wiener: does it match oracle Wiener on paper80?

A QR code shows a known patch in three corners (quiet zone, 7x7 finder, 1-module separator). For a
crop framed like ``paper80`` (whole code, quiet zone 4, version 1 or 2), the sharp look of those
patches is known, so motion length, angle and Gaussian sigma can be fitted by a grid search (coarse,
then fine) that compares the blurred known patches with the observation on the pixels whose whole
kernel support is known. Result and discussion: ``README.md`` beside this file.

Run: ``python docs/research/finder_psf_fit.py`` (dev install; ~1 min on 2 cores).
"""

import time

import cv2
import numpy as np

from qrdeblur.bench.suites import paper80
from qrdeblur.decode import get_decoder
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels

SIZE = 80
QUIET = 4


def known_patches(version: int) -> tuple[np.ndarray, np.ndarray]:
    """The sharp 80x80 image of the three finder corners, and the mask of pixels known to be exact."""
    n = 17 + 4 * version + 2 * QUIET
    dark = np.zeros((n, n), bool)
    known = np.zeros((n, n), bool)
    side = QUIET + 8
    known[:side, :side] = known[:side, -side:] = known[-side:, :side] = True
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for r, c in ((QUIET, QUIET), (QUIET, n - QUIET - 7), (n - QUIET - 7, QUIET)):
        dark[r : r + 7, c : c + 7] = finder
    up = np.ones((8, 8), np.float32)
    image = np.where(dark, 0.0, 1.0).astype(np.float32)
    sharp = cv2.resize(np.kron(image, up), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(np.kron(known.astype(np.float32), up), (SIZE, SIZE), interpolation=cv2.INTER_AREA) > 0.999
    return sharp, mask


def psf_of(length: float, angle: float, sigma: float) -> np.ndarray:
    return kernels.compose(kernels.motion(length, angle), kernels.gaussian(sigma))


def fit(blurred: np.ndarray, grid) -> tuple[float, float, float, int]:
    """(length, angle, sigma, version) with the least squared error on the known pixels."""
    best, best_err = None, np.inf
    for version in (1, 2):
        sharp, mask = known_patches(version)
        for length, angle, sigma in grid:
            psf = psf_of(length, angle, sigma)
            support = np.ones(psf.shape, np.uint8)
            valid = cv2.erode(mask.astype(np.uint8), support, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
            if valid.sum() < 20:
                continue
            pred = cv2.filter2D(sharp, -1, psf[::-1, ::-1], borderType=cv2.BORDER_REPLICATE)
            err = float(np.mean((pred[valid] - blurred[valid]) ** 2))
            if err < best_err:
                best, best_err = (length, angle, sigma, version), err
    return best


def main() -> None:
    decoder = get_decoder("zxing-cpp")
    items = [it for it in paper80(per_cell=4, seed=1) if it.cell.endswith(("s1", "s2"))]
    coarse = [(ln, a, s) for ln in range(0, 23, 2) for a in range(0, 180, 6) for s in np.arange(0.5, 3.6, 0.5)]
    start, cells = time.time(), {}
    for it in items:
        blurred = it.blurred[..., 0].astype(np.float32) / 255
        length, angle, sigma, _ = fit(blurred, coarse)
        fine = [
            (ln, a % 180, s)
            for ln in np.arange(max(0.0, length - 1.5), length + 1.6, 0.5)
            for a in np.arange(angle - 5, angle + 5.1, 1)
            for s in np.arange(max(0.3, sigma - 0.375), sigma + 0.4, 0.125)
        ]
        length, angle, sigma, _ = fit(blurred, fine)
        blind = decodes_correctly(wiener_oracle(blurred, psf_of(length, angle, sigma)), it.payloads, decoder)
        oracle = decodes_correctly(wiener_oracle(blurred, it.psf), it.payloads, decoder)
        cells.setdefault(it.cell, []).append((blind, oracle))
        print(f"{it.cell}: fitted L{length:.1f} angle {angle:.0f} sigma {sigma:.2f} (true angle "
              f"{it.meta['angle']:.0f}); blind Wiener {blind}, oracle Wiener {oracle}", flush=True)
    for cell, v in cells.items():
        print(f"{cell}: blind {sum(b for b, _ in v)}, oracle {sum(o for _, o in v)} of {len(v)}")
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
