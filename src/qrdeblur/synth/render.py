"""Render QR codes to images with segno.

The paper starts from clean images of "enrolled" codes; here a code is rendered from its payload at
an exact pixel size (non-integer module sizes are area-averaged, as a camera would see them) or an
integer module size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import segno

from qrdeblur.errors import UsageError
from qrdeblur.qrspec import ERROR_LEVELS, QUIET_ZONE, VERSIONS

ECC_LEVELS = ERROR_LEVELS


@dataclass(frozen=True)
class QRSpec:
    """What to render: payload and symbol parameters (version None = smallest that fits)."""

    payload: str | bytes
    version: int | None = None
    ecc: str = "M"
    mask: int | None = None  # None = segno picks the best mask (slow); 0-7 fixes it


def make_symbol(spec: QRSpec) -> segno.QRCode:
    """Encode ``spec`` with segno; raises UsageError when the payload does not fit the version."""
    ecc = spec.ecc.upper()
    if ecc not in ECC_LEVELS:
        raise UsageError(f"unknown ECC level {spec.ecc!r}; choose one of {', '.join(ECC_LEVELS)}")
    if spec.version is not None and not VERSIONS[0] <= spec.version <= VERSIONS[-1]:
        raise UsageError(f"QR version must be in 1..40, got {spec.version}")
    try:
        return segno.make_qr(
            spec.payload, version=spec.version, error=ecc.lower(), mask=spec.mask, boost_error=False
        )
    except segno.DataOverflowError as exc:
        where = f"QR version {spec.version}" if spec.version is not None else "any QR version (1-40)"
        raise UsageError(
            f"payload of {len(spec.payload)} characters does not fit {where} at ECC level {ecc}: {exc}"
        ) from None


def module_matrix(symbol: segno.QRCode, quiet_zone: int = QUIET_ZONE) -> np.ndarray:
    """Boolean module matrix (True = dark) with ``quiet_zone`` light modules on each side."""
    if quiet_zone < 0:
        raise UsageError(f"quiet zone must be >= 0 modules, got {quiet_zone}")
    m = np.array(symbol.matrix, dtype=bool)
    return np.pad(m, quiet_zone, constant_values=False)


def render_matrix(
    matrix: np.ndarray,
    size_px: int | None = None,
    module_px: int | None = None,
    dark: float = 0.0,
    light: float = 1.0,
) -> np.ndarray:
    """Turn a module matrix into a float32 grey image in [0, 1].

    Exactly one of ``size_px`` (side of the square output; modules may be fractional and are
    area-averaged) and ``module_px`` (integer pixels per module, crisp) must be given.
    """
    if (size_px is None) == (module_px is None):
        raise UsageError("give exactly one of size_px and module_px")
    img = np.where(matrix, dark, light).astype(np.float32)
    n = matrix.shape[0]
    if module_px is not None:
        if module_px < 1:
            raise UsageError(f"module size must be >= 1 px, got {module_px}")
        return np.kron(img, np.ones((module_px, module_px), dtype=np.float32))
    if size_px < 8:
        raise UsageError(f"image size must be >= 8 px, got {size_px}")
    # upsample crisply to a multiple of the target, then area-average down: exact pixel coverage
    factor = max(1, int(np.ceil(size_px * 8 / n)))
    big = np.kron(img, np.ones((factor, factor), dtype=np.float32))
    small = cv2.resize(big, (size_px, size_px), interpolation=cv2.INTER_AREA)
    # area averaging rounds to just outside the levels (1.0000001): keep the image in range
    return np.clip(small, min(dark, light), max(dark, light))


def render_code(
    spec: QRSpec,
    size_px: int | None = None,
    module_px: int | None = None,
    quiet_zone: int = QUIET_ZONE,
    dark: float = 0.0,
    light: float = 1.0,
    rgb: bool = False,
) -> np.ndarray:
    """Render a QR code as a float32 image in [0, 1]: (H, W) grey or (H, W, 3) RGB.

    Args:
        spec: payload, version, ECC level.
        size_px: side of the output in pixels (fractional module size, area-averaged).
        module_px: integer module size in pixels (alternative to ``size_px``).
        quiet_zone: light border in modules.
        dark, light: grey levels of dark and light modules in [0, 1].
        rgb: return three identical channels.

    Example:
        >>> render_code(QRSpec("HELLO"), size_px=80).shape
        (80, 80)
    """
    if not (0 <= dark <= 1 and 0 <= light <= 1):
        raise UsageError(f"dark and light levels must be in [0, 1], got {dark} and {light}")
    matrix = module_matrix(make_symbol(spec), quiet_zone)
    img = render_matrix(matrix, size_px=size_px, module_px=module_px, dark=dark, light=light)
    return np.repeat(img[..., None], 3, axis=2) if rgb else img


def symbol_info(spec: QRSpec) -> dict:
    """Version and ECC level segno actually used (for metadata)."""
    symbol = make_symbol(spec)
    return {"version": int(symbol.version), "ecc": str(symbol.error)}
