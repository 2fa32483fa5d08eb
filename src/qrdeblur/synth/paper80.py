"""The ``paper80`` grid: fixed, seeded 80x80 crops of whole codes in the paper's setting.

80x80 RGB, quiet zone 4, payloads of 8-16 alphanumerics (versions 1-2, ECC L/M/Q/H mixed), motion
LEN in {0, 5, 10, 15, 20} px at an angle uniform in [0, 180) then Gaussian sigma in {1, 2, 3} px,
Gaussian noise std 0.01, 8-bit quantised; ``per_cell`` codes per (LEN, sigma) cell.

Built here rather than in the benchmark so the reserved payload set (:mod:`qrdeblur.synth.reserved`)
and the ONNX export's parity images come from synthesis alone; ``qrdeblur.bench.suites.paper80`` is
the benchmark suite over it. Every code draws the same randomness whatever its cell, so the n-th
code's payload, ECC, version, angle and noise do not depend on ``per_cell`` (only its blur does): the
payloads of a smaller grid are the first ones of the full grid, all reserved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PAPER80_SEED = 20260
PAPER80_LENGTHS = (0, 5, 10, 15, 20)
PAPER80_SIGMAS = (1, 2, 3)
PAPER80_PER_CELL = 48


@dataclass
class CropItem:
    """One crop of a whole code: the blurred observation (uint8), its sharp original and ground truth.

    ``payloads`` are the texts the crop must decode to, ``cell`` the group it is reported in, ``psf``
    the true blur kernel (None when unknown) and ``meta`` the drawn parameters.
    """

    blurred: np.ndarray
    sharp: np.ndarray
    payloads: list[str]
    cell: str
    psf: np.ndarray | None = None
    meta: dict = field(default_factory=dict)


def paper80_crops(per_cell: int = PAPER80_PER_CELL, seed: int = PAPER80_SEED) -> list[CropItem]:
    """The ``paper80`` grid (see the module docstring), cell by cell; deterministic for a given seed."""
    from qrdeblur.synth import degrade, kernels
    from qrdeblur.synth.payloads import random_alphanumeric
    from qrdeblur.synth.presets import fit_symbol
    from qrdeblur.synth.render import module_matrix, render_matrix

    rng = np.random.default_rng(seed)
    items = []
    for length in PAPER80_LENGTHS:
        for sigma in PAPER80_SIGMAS:
            cell = f"len{length}-s{sigma}"
            for _ in range(per_cell):
                spec, symbol = fit_symbol(random_alphanumeric(rng, 8, 16), rng, (1, 2), None)
                sharp = render_matrix(module_matrix(symbol, 4), size_px=80)
                theta = float(rng.uniform(0, 180))
                psf = kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma))
                blurred = degrade.convolve(sharp, psf)
                blurred, _ = degrade.gaussian_noise(blurred, rng, 0.01)
                rgb = np.repeat(degrade.to_uint8(blurred)[..., None], 3, axis=2)
                items.append(
                    CropItem(
                        blurred=rgb,
                        sharp=np.repeat(degrade.to_uint8(sharp)[..., None], 3, axis=2),
                        payloads=[spec.payload],
                        cell=cell,
                        psf=psf,
                        meta={"version": int(symbol.version), "ecc": str(symbol.error), "angle": theta},
                    )
                )
    return items
