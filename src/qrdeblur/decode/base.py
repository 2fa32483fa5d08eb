"""The decoder interface: :class:`DecodeResult`, the :class:`Decoder` base class and upscaling of small images.

Decoders are unreliable below about 3 px per module, and an 80x80 crop of a version-1 code has 2.76,
so crops smaller than ``min_side`` are upscaled before decoding (corners are mapped back). The
default factor and interpolation were measured on the ``paper80`` suite (see the README's bench
notes): upscaling to at least 320 px with cubic interpolation decoded the most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from qrdeblur.errors import UsageError

#: Decoders are unreliable below about 3 px per module: crops with a shorter side are upscaled first.
DEFAULT_MIN_SIDE = 320
_INTERPOLATIONS = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                   "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}


@dataclass
class DecodeResult:
    """One decoded code: its content, raw payload bytes and four corners (x, y) in the input image.

    ``text`` is the content exactly as encoded: control characters, GS1 group separators (0x1D) and
    ECI-interpreted characters as they are (zxing-cpp's plain text mode). ``raw`` is the exact payload
    with zxing-cpp; ZBar and OpenCV only hand back text (they read a non-UTF-8 byte payload as
    ISO-8859-1), so their ``raw`` is that text in UTF-8, not the payload. ``gs1`` marks a GS1 code
    (FNC1 in first position); ``hri`` is then its human-readable form, e.g. ``(01)09504000059101``.
    ``version`` is the symbol version when the decoder reports it. Corner order follows the decoder:
    zxing-cpp and OpenCV start at the code's top-left finder and go clockwise; ZBar goes the other way
    round and does not start at a fixed finder.
    """

    text: str
    raw: bytes
    corners: list[list[float]] = field(default_factory=list)
    decoder: str = ""
    gs1: bool = False
    hri: str | None = None
    version: int | None = None


def as_uint8_grey(image: np.ndarray) -> np.ndarray:
    """uint8 grey view of an (H, W), (H, W, 3) or (H, W, 4) image, uint8 or float in [0, 1]."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        if image.dtype.kind == "f":
            image = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
        elif image.dtype == np.uint16:
            image = (image >> 8).astype(np.uint8)
        else:
            image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3:
        if image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
        elif image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        elif image.shape[2] == 1:
            image = image[..., 0]
    if image.ndim != 2:
        raise UsageError(f"expected an (H, W) or (H, W, C) image, got shape {image.shape}")
    return np.ascontiguousarray(image)


def upscale_for_decoding(
    image: np.ndarray, min_side: int = DEFAULT_MIN_SIDE, interpolation: str = "cubic"
) -> tuple[np.ndarray, float]:
    """Upscale so the short side is at least ``min_side`` (integer factor); returns (image, factor)."""
    try:
        interp = _INTERPOLATIONS[interpolation]
    except KeyError:
        choices = ", ".join(_INTERPOLATIONS)
        raise UsageError(f"unknown interpolation {interpolation!r}; choose one of {choices}") from None
    short = min(image.shape[:2])
    factor = int(np.ceil(min_side / short)) if short < min_side else 1
    if factor <= 1:
        return image, 1.0
    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=interp)
    return big, float(factor)


class Decoder:
    """Base class: ``decode(image)`` prepares the image, calls ``_decode`` and maps corners back."""

    name = "base"

    def __init__(self, min_side: int = DEFAULT_MIN_SIDE, interpolation: str = "cubic"):
        if interpolation not in _INTERPOLATIONS:
            choices = ", ".join(_INTERPOLATIONS)
            raise UsageError(f"unknown interpolation {interpolation!r}; choose one of {choices}")
        self.min_side = min_side
        self.interpolation = interpolation

    def decode(self, image: np.ndarray) -> list[DecodeResult]:
        grey = as_uint8_grey(image)
        big, factor = upscale_for_decoding(grey, self.min_side, self.interpolation)
        results = self._decode(big)
        for r in results:
            r.decoder = self.name
            r.corners = [[x / factor, y / factor] for x, y in r.corners]
        return results

    def _decode(self, grey: np.ndarray) -> list[DecodeResult]:  # pragma: no cover - abstract
        raise NotImplementedError
