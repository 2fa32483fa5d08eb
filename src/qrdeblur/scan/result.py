"""What a scan returns: :class:`Code` (one decoded code), and :class:`Attempt` (one step's record, for
observers of the cascade)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qrdeblur.decode.base import DecodeResult
    from qrdeblur.scan.config import Step
    from qrdeblur.scan.locate import Candidate


@dataclass
class Code:
    """A decoded QR code.

    Attributes:
        text: the content exactly as encoded: control characters, GS1 group separators (0x1D) and
            ECI-interpreted characters as they are.
        corners: four [x, y] corners in the input image (after EXIF orientation), the code's own
            top-left, top-right, bottom-right, bottom-left.
        method: how it was read: the step's name (:class:`~qrdeblur.scan.config.Step`: ``raw``,
            ``contrast``, ``rectify``, ``sharpen``, ``deblur``, ...), or ``match``: identified among known
            payloads, not decoded.
        decoder: the decoder that read it (``zxing-cpp``; ``identify`` for a match).
        bytes_b64: the raw payload bytes, base64, when they are not the UTF-8 encoding of ``text``
            (binary data, another character set); else None.
        gs1: a GS1 code (FNC1 in first position: application identifiers, group separators).
        hri: a GS1 code's human-readable form, e.g. ``(01)09504000059101(21)12345678``, for display.
        score: for method ``match`` (identified among known payloads, not decoded): the share of the
            observation the code explains; None otherwise.
        margin: ... and how far ahead of the runner-up it is.
    """

    text: str
    corners: list[list[float]]
    method: str
    decoder: str = "zxing-cpp"
    bytes_b64: str | None = None
    gs1: bool = False
    hri: str | None = None
    score: float | None = None
    margin: float | None = None

    @classmethod
    def from_result(cls, result: DecodeResult, corners: list[list[float]], method: str) -> Code:
        """The code a decoder read, at ``corners`` (input-image frame), read by ``method``."""
        b64 = None
        try:
            exact = result.raw.decode("utf-8") == result.text
        except UnicodeDecodeError:
            exact = False
        if not exact:
            b64 = base64.b64encode(result.raw).decode("ascii")
        return cls(result.text, corners, method, result.decoder or "zxing-cpp", b64, result.gs1, result.hri)

    def to_dict(self) -> dict:
        """The ``scan --json`` form: ``bytes_b64`` only when set, ``gs1`` and ``hri`` only for GS1 codes."""
        d = {
            "text": self.text,
            "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners],
            "method": self.method,
            "decoder": self.decoder,
        }
        if self.bytes_b64 is not None:
            d["bytes_b64"] = self.bytes_b64
        if self.gs1:
            d["gs1"] = True
            d["hri"] = self.hri
        if self.score is not None:
            d["score"] = round(float(self.score), 4)
            d["margin"] = round(float(self.margin), 4)
        return d


@dataclass
class Attempt:
    """One step the cascade ran, as an observer (``scan(..., observer=...)``) sees it.

    Attributes:
        step: the step (the plain reads of the whole image are the steps ``raw`` and ``contrast``).
        candidate: the candidate it ran on; None for the whole-image reads.
        codes: the codes it read that were new.
        outlines: outlines it located but could not decode (new candidates when ``refine`` is on).
        ms: how long it took.
    """

    step: Step
    candidate: Candidate | None
    codes: list[Code] = field(default_factory=list)
    outlines: list = field(default_factory=list)
    ms: float = 0.0
