"""Scan photos for QR codes: plain decoding first, then locate, rectify, restore and decode the rest.

``scan(image)`` returns every code it read, each once, with the method that read it (see
:mod:`qrdeblur.scan.cascade`). Torch-free: the generator runs through onnxruntime. The package is
itself callable, so ``qrdeblur.scan(image)`` (the top-level API) and ``qrdeblur.scan.scan(image)``
are the same call.

Example:
    >>> from qrdeblur.scan import scan
    >>> [(c.text, c.method) for c in scan("parcel.jpg")]          # doctest: +SKIP
    [('https://example.com/p/123', 'raw'), ('LOT 42-7781', 'deblur')]

Videos, image sequences and streams: ``scan_video(source)`` yields one track per code per pass
through the view (:mod:`qrdeblur.scan.video`).
"""

from __future__ import annotations

import sys
import types

from qrdeblur.scan.api import DEFAULT_BUDGET_MS, load_deblurrer, scan
from qrdeblur.scan.cascade import Cascade
from qrdeblur.scan.config import ALT_STEPS, MAIN_STEPS, CascadeConfig, Step
from qrdeblur.scan.result import Attempt, Code
from qrdeblur.scan.track import Detection, Track
from qrdeblur.scan.video import scan_video

__all__ = [
    "ALT_STEPS",
    "DEFAULT_BUDGET_MS",
    "MAIN_STEPS",
    "Attempt",
    "Cascade",
    "CascadeConfig",
    "Code",
    "Detection",
    "Step",
    "Track",
    "load_deblurrer",
    "scan",
    "scan_video",
]


class _CallableModule(types.ModuleType):
    """This package as a module object that can be called like :func:`scan`."""

    def __call__(self, *args, **kwargs) -> list[Code]:
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
