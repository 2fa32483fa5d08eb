"""Decoders: each turns an image into a list of :class:`DecodeResult` (text, raw bytes, corners).

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

DEFAULT_MIN_SIDE = 320
_INTERPOLATIONS = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                   "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}


@dataclass
class DecodeResult:
    """One decoded code: text, raw payload bytes and the four corners (x, y) in the input image.

    ``raw`` is the exact payload with zxing-cpp. ZBar and OpenCV only hand back text (they read a
    non-UTF-8 byte payload as ISO-8859-1), so their ``raw`` is that text in UTF-8, not the payload.
    Corner order follows the decoder: zxing-cpp and OpenCV start at the code's top-left finder and go
    clockwise; ZBar goes the other way round and does not start at a fixed finder.
    """

    text: str
    raw: bytes
    corners: list[list[float]] = field(default_factory=list)
    decoder: str = ""


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


def _zxing_corners(position) -> list[list[float]]:
    p = position
    return [[float(q.x), float(q.y)] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


class ZxingDecoder(Decoder):
    """zxing-cpp: fast and strong; QR codes only, rotations and inverted codes tried."""

    name = "zxing-cpp"

    def __init__(self, *args, binarizer: str = "LocalAverage", **kwargs):
        super().__init__(*args, **kwargs)
        import zxingcpp

        self._zx = zxingcpp
        self._binarizer = getattr(zxingcpp.Binarizer, binarizer)

    def _decode(self, grey: np.ndarray) -> list[DecodeResult]:
        zx = self._zx
        out = []
        for bc in zx.read_barcodes(grey, formats=zx.BarcodeFormat.QRCode, binarizer=self._binarizer):
            out.append(DecodeResult(bc.text, bytes(bc.bytes), _zxing_corners(bc.position)))
        return out

    def detect_failed(self, grey: np.ndarray) -> list[list[list[float]]]:
        """Corners of QR codes zxing-cpp located but could not decode (candidates for deblurring)."""
        zx = self._zx
        boxes = []
        for bc in zx.read_barcodes(grey, formats=zx.BarcodeFormat.QRCode, return_errors=True):
            if bc.valid:
                continue
            boxes.append(_zxing_corners(bc.position))
        return boxes


class ZbarDecoder(Decoder):
    """ZBar through pyzbar (needs the system library libzbar0)."""

    name = "zbar"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            from pyzbar import pyzbar
        except ImportError as exc:  # the shared library is missing
            raise UsageError(f"the zbar decoder needs libzbar0 (apt-get install libzbar0): {exc}") from None
        self._pyzbar = pyzbar

    def _decode(self, grey: np.ndarray) -> list[DecodeResult]:
        zb = self._pyzbar
        out = []
        for sym in zb.decode(grey, symbols=[zb.ZBarSymbol.QRCODE]):
            raw = bytes(sym.data)
            corners = [[float(p.x), float(p.y)] for p in sym.polygon][:4]
            out.append(DecodeResult(raw.decode("utf-8", errors="replace"), raw, corners))
        return out


class OpenCVDecoder(Decoder):
    """OpenCV's ``QRCodeDetectorAruco`` (its more robust finder)."""

    name = "opencv"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._detector = cv2.QRCodeDetectorAruco()

    def _decode(self, grey: np.ndarray) -> list[DecodeResult]:
        try:
            ok, texts, points, _ = self._detector.detectAndDecodeMulti(grey)
        except cv2.error:
            return []
        if not ok or points is None:
            return []
        out = []
        for text, pts in zip(texts, points, strict=False):
            if text:
                corners = [[float(x), float(y)] for x, y in np.asarray(pts).reshape(-1, 2)]
                out.append(DecodeResult(text, text.encode("utf-8"), corners))
        return out


DECODERS = {"zxing-cpp": ZxingDecoder, "zbar": ZbarDecoder, "opencv": OpenCVDecoder}


def get_decoder(name: str, **kwargs) -> Decoder:
    """Decoder by name (zxing-cpp, zbar, opencv); UsageError listing the choices when unknown."""
    try:
        cls = DECODERS[name]
    except KeyError:
        raise UsageError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}") from None
    return cls(**kwargs)
