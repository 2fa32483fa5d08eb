"""Benchmark suites: fixed, seeded sets of blurred images with known payloads.

- ``paper80``: the paper's setting (DESIGN.md): 80x80 RGB, quiet zone 4, payloads of 8-16
  alphanumerics (versions 1-2, ECC L/M/Q/H mixed), motion LEN in {0, 5, 10, 15, 20} px at an angle
  uniform in [0, 180) then Gaussian sigma in {1, 2, 3} px, Gaussian noise std 0.01, 8-bit quantised;
  48 codes per cell.
- ``speed``: one batch of 80x80 crops from paper80 (timing only).

Payloads of every suite are reserved: the training presets never draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qrdeblur.errors import UsageError

PAPER80_SEED = 20260
PAPER80_LENGTHS = (0, 5, 10, 15, 20)
PAPER80_SIGMAS = (1, 2, 3)
PAPER80_PER_CELL = 48


@dataclass
class BenchItem:
    """One benchmark image: the blurred observation (uint8), its sharp original and ground truth."""

    blurred: np.ndarray
    sharp: np.ndarray
    payloads: list[str]
    cell: str
    psf: np.ndarray | None = None
    meta: dict = field(default_factory=dict)


def paper80(per_cell: int = PAPER80_PER_CELL, seed: int = PAPER80_SEED) -> list[BenchItem]:
    """The ``paper80`` grid (see module docstring); deterministic for a given seed."""
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
                    BenchItem(
                        blurred=rgb,
                        sharp=np.repeat(degrade.to_uint8(sharp)[..., None], 3, axis=2),
                        payloads=[spec.payload],
                        cell=cell,
                        psf=psf,
                        meta={"version": int(symbol.version), "ecc": str(symbol.error), "angle": theta},
                    )
                )
    return items


def speed(batch: int = 64) -> list[BenchItem]:
    """A batch of 80x80 crops (a spread of paper80 cells) for timing methods side by side."""
    items = paper80(per_cell=max(1, batch // 15 + 1))
    chosen = items[:: max(1, len(items) // batch)][:batch]
    for item in chosen:  # one cell: every method is timed on the whole batch at once
        item.cell = "batch-80x80"
    return chosen


SUITES = {"paper80": paper80, "speed": speed}


def get_suite(name: str):
    """Suite constructor by name; UsageError listing the choices when unknown."""
    if name == "photo":
        from qrdeblur.bench.photo import photo_suite

        return photo_suite
    try:
        return SUITES[name]
    except KeyError:
        raise UsageError(f"unknown suite {name!r}; choose one of {', '.join([*SUITES, 'photo'])}") from None


@lru_cache(maxsize=1)
def reserved_payloads() -> frozenset[str]:
    """Every payload a benchmark suite uses: training must never see them."""
    return frozenset(p for item in paper80() for p in item.payloads)


def is_reserved_payload(payload: str) -> bool:
    """True when ``payload`` belongs to a benchmark suite (paper80 or photo)."""
    from qrdeblur.bench.photo import photo_payloads

    return payload in reserved_payloads() or payload in photo_payloads()
