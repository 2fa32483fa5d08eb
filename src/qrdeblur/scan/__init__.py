"""Scan photos for QR codes: plain decoding first, then locate, rectify, deblur and decode the rest.

``scan(image)`` returns every code it read, each once, with the method that read it (see
:mod:`qrdeblur.scan.cascade`). Torch-free: the generator runs through onnxruntime. The package is
itself callable, so ``qrdeblur.scan(image)`` (the top-level API) and ``qrdeblur.scan.scan(image)``
are the same call.

Example:
    >>> from qrdeblur.scan import scan
    >>> [(c.text, c.method) for c in scan("parcel.jpg")]          # doctest: +SKIP
    [('https://example.com/p/123', 'raw'), ('LOT 42-7781', 'deblur')]
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import numpy as np

from qrdeblur.imageio import to_grey
from qrdeblur.scan.cascade import ALT_STEPS, MAIN_STEPS, Cascade, CascadeConfig, Code, Step

__all__ = ["ALT_STEPS", "MAIN_STEPS", "Cascade", "CascadeConfig", "Code", "Step", "load_deblurrer", "scan"]

DEFAULT_BUDGET_MS = 800.0
_DEBLURRERS: dict = {}


def load_deblurrer(model: str | Path | None = None):
    """The generator for ``model`` (a path; None = the shipped scan generator), loaded once and cached.

    Returns None when ``model`` is None and no shipped model is installed (the cascade then skips
    the learned restoration); an explicit path that cannot be loaded raises UsageError. A model with a
    blur estimator also readies the grid solver (:func:`~qrdeblur.restore.module_grid.warm_up`), so
    its one-time set-up is paid here, with the loading, and not by the first image scanned.
    """
    from qrdeblur.restore.deblurrer import Deblurrer, scan_model_path

    key = str(Path(model).resolve()) if model is not None else None
    if key not in _DEBLURRERS:
        if model is None and not scan_model_path().exists():
            return None
        if model is None:
            model = scan_model_path()
        deblurrer = Deblurrer.load(model)
        if deblurrer.has_estimator:
            from qrdeblur.restore.module_grid import warm_up

            warm_up()
        _DEBLURRERS[key] = deblurrer
    return _DEBLURRERS[key]


def scan(
    image,
    model: str | Path | None = None,
    budget_ms: float = DEFAULT_BUDGET_MS,
    deblurrer=None,
    config: CascadeConfig | None = None,
) -> list[Code]:
    """Decode every QR code in an image, deblurring the ones plain decoding misses.

    Args:
        image: a path (PNG, JPEG, WebP, BMP, TIFF; EXIF orientation applied) or an array (H, W),
            (H, W, 3) RGB or (H, W, 4) RGBA, uint8 or uint16.
        model: generator to deblur with (.onnx path); None = the shipped scan generator
            (``scan-wiener-qrunet``, see :func:`qrdeblur.restore.deblurrer.scan_model_path`).
        budget_ms: time budget for reading the image and the whole cascade; raw decoding (with the
            contrast-equalised pass) always completes, later steps start only while time is left.
            Loading the model (the first call in a process, ~1 s) is not counted.
        deblurrer: an already loaded :class:`~qrdeblur.restore.deblurrer.Deblurrer` (overrides ``model``).
        config: cascade knobs (:class:`CascadeConfig`).

    Returns:
        :class:`Code` list: text, corners (input pixel coordinates), method, decoder.

    Raises:
        ImageReadError: ``image`` is a path that cannot be read.
        UsageError: an array of unsupported shape or dtype, a negative budget, an unloadable model.
    """
    from qrdeblur.errors import UsageError

    if not np.isfinite(budget_ms) or budget_ms < 0:
        raise UsageError(f"time budget must be a number of milliseconds >= 0, got {budget_ms}")
    if deblurrer is None:
        deblurrer = load_deblurrer(model)  # once per process (cached), so outside the budget
    t0 = time.perf_counter()
    if isinstance(image, (str, Path)):
        from qrdeblur.imageio import read_image

        image = read_image(image)
    grey = to_grey(image)
    return _cascade(deblurrer, config).run(grey, budget_ms, t0)


_CASCADES: dict = {}


def _cascade(deblurrer, config: CascadeConfig | None) -> Cascade:
    """A cascade for this generator, reused across calls with the default config (it learns the
    generator's speed on this machine, which keeps the last step inside the budget)."""
    if config is not None:
        return Cascade(deblurrer, config)
    entry = _CASCADES.get(id(deblurrer))
    if entry is None or entry[0] is not deblurrer:
        if len(_CASCADES) > 8:
            _CASCADES.clear()
        entry = _CASCADES[id(deblurrer)] = (deblurrer, Cascade(deblurrer))
    return entry[1]


class _CallableModule(types.ModuleType):
    """This package as a module object that can be called like :func:`scan`."""

    def __call__(self, *args, **kwargs) -> list[Code]:
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
