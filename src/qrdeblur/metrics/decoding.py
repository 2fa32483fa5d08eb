"""Decoding success: the real decoder is the judge of whether a restored code is readable."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from qrdeblur.decode import Decoder, get_decoder


def decodes_correctly(image: np.ndarray, payloads: str | Iterable[str], decoder: Decoder | str) -> bool:
    """True when ``decoder`` reads every expected payload text from ``image``.

    A code decoded to the wrong text counts as a failure, so a restoration that invents a different,
    valid code is not rewarded. With no expected payload the answer is False (nothing to read).

    Args:
        image: (H, W) or (H, W, 3) image, uint8 or float in [0, 1].
        payloads: the expected text, or the texts of every code in the image.
        decoder: a :class:`~qrdeblur.decode.Decoder` or its name (``zxing-cpp``, ``zbar``, ``opencv``).
    """
    if isinstance(decoder, str):
        decoder = get_decoder(decoder)
    expected = {payloads} if isinstance(payloads, str) else set(payloads)
    if not expected:
        return False
    found = {r.text for r in decoder.decode(image)}
    return expected <= found
