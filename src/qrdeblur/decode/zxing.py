"""zxing-cpp, the primary decoder: results with the exact payload, and the two reads the scan needs.

- :func:`read_as_loaded`: zxing-cpp's own default read of an image as it was loaded (colour or grey,
  its own rotation, downscaling and inversion tries). The scan starts with it, so it never reads less
  than zxing-cpp alone.
- :func:`read_grey`: a grey image upscaled when small, with chosen binarizers, which also returns the
  outlines of codes zxing-cpp located but could not decode (the scan's candidates for restoration).

Texts are zxing-cpp's plain text mode (the content exactly); a GS1 code also gets its human-readable
form from a second read in zxing-cpp's HRI mode of the same pixels.

Only QR codes (model 2, and model 1) are reported unless a caller asks for Micro QR (``micro=True``),
and a Micro QR symbol without error correction (M1) never is (:func:`accepted`). Why: zxing-cpp 3's
``BarcodeFormat.QRCode`` is the whole QR family, Micro QR and rMQR included (2.x read QR codes only).
An M1 symbol has 3 data codewords and 2 that only detect errors, and its one finder pattern is found in
any fine texture: on the ``hard`` suite's 280 items zxing-cpp alone read the texture of a curved can
(item 103) as an M1 code ``3450``, the suite's only false reads, for zxing-only and scan alike. The
result's ``format`` tells Micro QR apart (its ``symbology_identifier`` is ``]Q1`` like a QR code's), and
``extra["Version"]`` the Micro version (``M1``..``M4``); its reported ``ec_level`` is not evidence (``L``
for M1, which corrects nothing). Micro QR M2-M4 correct errors and are accepted when asked for.
"""

from __future__ import annotations

import numpy as np
import zxingcpp

from qrdeblur.decode.base import DEFAULT_MIN_SIDE, Decoder, DecodeResult, upscale_for_decoding
from qrdeblur.errors import UsageError

QR = zxingcpp.BarcodeFormat.QRCode
#: Formats of zxing-cpp 3's QR family that are not QR codes (2.x reads them only when asked by their
#: own format; an older zxing-cpp may not know them at all).
_MICRO = getattr(zxingcpp.BarcodeFormat, "MicroQRCode", None)
_OTHER_QR = tuple(f for f in (getattr(zxingcpp.BarcodeFormat, "RMQRCode", None),) if f is not None)
_PLAIN = zxingcpp.TextMode.Plain
BINARIZERS = ("LocalAverage", "GlobalHistogram", "FixedThreshold", "BoolCast")


def corners_of(barcode) -> list[list[float]]:
    """The four corners of a zxing-cpp result: the code's top-left, top-right, bottom-right, bottom-left."""
    p = barcode.position
    return [[float(q.x), float(q.y)] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


def _version(barcode) -> int | None:
    try:
        return int(barcode.extra.get("Version", 0)) or None
    except (AttributeError, TypeError, ValueError):
        return None


def accepted(barcode, micro: bool = False) -> bool:
    """Whether a zxing-cpp result may be reported: a QR code; a Micro QR code only when ``micro`` and
    only a symbol with error correction (M2-M4: M1 only detects errors, and texture reads as M1).
    Located but undecoded results are judged by their format alone."""
    fmt = barcode.format
    if fmt in _OTHER_QR:
        return False
    if _MICRO is None or fmt != _MICRO:
        return True
    if not micro:
        return False
    if not barcode.valid:
        return True
    try:
        version = str(barcode.extra.get("Version", ""))
    except AttributeError:
        return False
    return version in ("M2", "M3", "M4")


def _binarizer(name: str):
    if name not in BINARIZERS:
        raise UsageError(f"unknown zxing-cpp binarizer {name!r}; choose one of {', '.join(BINARIZERS)}")
    return getattr(zxingcpp.Binarizer, name)


def _results(image, barcodes: list, scale: float = 1.0, **options) -> list[DecodeResult]:
    """DecodeResults of valid ``barcodes`` read from ``image`` (corners divided by ``scale``); GS1 codes
    get their human-readable form from the same read in HRI mode."""
    out = []
    hri_reads = None
    for bc in barcodes:
        corners = [[x / scale, y / scale] for x, y in corners_of(bc)]
        gs1 = bc.content_type == zxingcpp.ContentType.GS1
        hri = None
        if gs1:
            if hri_reads is None:
                hri_reads = zxingcpp.read_barcodes(image, formats=QR, text_mode=zxingcpp.TextMode.HRI, **options)
            hri = next((h.text for h in hri_reads if bytes(h.bytes) == bytes(bc.bytes)), None)
        out.append(DecodeResult(bc.text, bytes(bc.bytes), corners, "zxing-cpp", gs1, hri, _version(bc)))
    return out


def read_as_loaded(image: np.ndarray, micro: bool = False) -> list[DecodeResult]:
    """zxing-cpp's default read of ``image`` as loaded: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8.

    Only the text mode differs from zxing-cpp's defaults (plain: the content exactly), and only QR codes
    are reported (``micro``: Micro QR M2-M4 too; :func:`accepted`)."""
    a = np.ascontiguousarray(image)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        fmt = zxingcpp.ImageFormat.RGB if a.shape[2] == 3 else zxingcpp.ImageFormat.RGBA
        a = zxingcpp.ImageView(a, a.shape[1], a.shape[0], fmt)
    elif a.ndim == 3:
        a = np.ascontiguousarray(a[..., 0])
    barcodes = zxingcpp.read_barcodes(a, formats=QR, text_mode=_PLAIN)
    return _results(a, [bc for bc in barcodes if accepted(bc, micro)])


def read_grey(
    grey: np.ndarray,
    errors: bool = False,
    min_side: int = DEFAULT_MIN_SIDE,
    binarizers: tuple[str, ...] = ("LocalAverage",),
    micro: bool = False,
) -> tuple[list[DecodeResult], list[list[list[float]]]]:
    """(codes read, outlines located but not decoded) in a uint8 grey image, corners in its frame.

    The image is upscaled (integer factor, cubic) so its short side is at least ``min_side``; the
    ``binarizers`` are tried in turn until one reads a code. ``errors``: also return the outlines of
    codes zxing-cpp located and could not decode. Only QR codes are read and returned as outlines
    (``micro``: Micro QR M2-M4 too; :func:`accepted`).
    """
    big, factor = upscale_for_decoding(grey, min_side, "cubic")
    ok: list[DecodeResult] = []
    failed: list[list[list[float]]] = []
    for name in binarizers:
        options = {"binarizer": _binarizer(name)}
        barcodes = zxingcpp.read_barcodes(big, formats=QR, text_mode=_PLAIN, return_errors=errors, **options)
        barcodes = [bc for bc in barcodes if accepted(bc, micro)]
        ok += _results(big, [bc for bc in barcodes if bc.valid], factor, **options)
        failed += [[[x / factor, y / factor] for x, y in corners_of(bc)] for bc in barcodes if not bc.valid]
        if ok:
            break
    return ok, failed


def located(grey: np.ndarray, min_side: int = DEFAULT_MIN_SIDE) -> list[tuple[list[list[float]], int | None]]:
    """(outline, version) of every QR code zxing-cpp located in a uint8 grey image but could not decode,
    corners in its frame; the version is the one zxing-cpp read off the symbol's size (None when it
    reported none). For the restoration steps that resample a code on their own grid."""
    big, factor = upscale_for_decoding(grey, min_side, "cubic")
    barcodes = zxingcpp.read_barcodes(big, formats=QR, text_mode=_PLAIN, return_errors=True)
    return [
        ([[x / factor, y / factor] for x, y in corners_of(bc)], _version(bc))
        for bc in barcodes
        if not bc.valid and accepted(bc)
    ]


class ZxingDecoder(Decoder):
    """zxing-cpp behind the :class:`~qrdeblur.decode.base.Decoder` interface (QR codes; rotations and
    inverted codes tried; one binarizer)."""

    name = "zxing-cpp"

    def __init__(self, *args, binarizer: str = "LocalAverage", **kwargs):
        super().__init__(*args, **kwargs)
        self._binarizer = binarizer
        _binarizer(binarizer)

    def _decode(self, grey: np.ndarray) -> list[DecodeResult]:
        return read_grey(grey, min_side=0, binarizers=(self._binarizer,))[0]

    def detect_failed(self, grey: np.ndarray) -> list[list[list[float]]]:
        """Corners of QR codes zxing-cpp located but could not decode (candidates for deblurring)."""
        return read_grey(grey, errors=True, min_side=0, binarizers=(self._binarizer,))[1]
