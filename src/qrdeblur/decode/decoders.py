"""Decoders behind one interface: each turns an image into a list of :class:`DecodeResult`.

``zxing-cpp`` is the primary decoder (:mod:`qrdeblur.decode.zxing`); ZBar and OpenCV are here for
comparison. Add a decoder by subclassing :class:`~qrdeblur.decode.base.Decoder` and registering it in
:data:`DECODERS`.
"""

from __future__ import annotations

import cv2
import numpy as np

from qrdeblur.decode.base import DEFAULT_MIN_SIDE, Decoder, DecodeResult, as_uint8_grey, upscale_for_decoding
from qrdeblur.decode.zxing import ZxingDecoder
from qrdeblur.errors import UsageError

__all__ = [
    "DECODERS",
    "DEFAULT_MIN_SIDE",
    "DecodeResult",
    "Decoder",
    "OpenCVDecoder",
    "ZbarDecoder",
    "ZxingDecoder",
    "as_uint8_grey",
    "get_decoder",
    "upscale_for_decoding",
]


class ZbarDecoder(Decoder):
    """ZBar through pyzbar (needs the system library libzbar0)."""

    name = "zbar"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            from pyzbar import pyzbar
        except ModuleNotFoundError:
            raise UsageError("the zbar decoder needs pyzbar: pip install 'qrdeblur[zbar]'") from None
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
