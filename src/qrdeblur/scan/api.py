"""The scan entry points: :func:`scan` (one image) and :func:`load_deblurrer` (the generator, loaded once)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.imageio import read_image, to_grey
from qrdeblur.scan.cascade import Cascade, Observer
from qrdeblur.scan.config import EFFORTS, CascadeConfig
from qrdeblur.scan.result import Code

DEFAULT_BUDGET_MS = EFFORTS["normal"][1]
_DEBLURRERS: dict = {}


def load_deblurrer(model: str | Path | None = None, threads: int | None = None):
    """The generator for ``model`` (a path; None = the shipped scan generator), loaded once and cached.

    Returns None when ``model`` is None and no shipped model is installed (the cascade then skips
    the learned restoration); an explicit path that cannot be loaded raises UsageError. A model with a
    blur estimator also readies the grid solver (:func:`~qrdeblur.restore.module_grid.warm_up`), so
    its one-time set-up is paid here, with the loading, and not by the first image scanned.
    ``threads``: onnxruntime's threads for the model (None: its default, the cores); each value is
    loaded and cached apart.
    """
    from qrdeblur.restore.deblurrer import CHECKPOINT_SUFFIXES, Deblurrer, scan_model_path

    if model is not None and Path(model).suffix in CHECKPOINT_SUFFIXES:
        raise UsageError(
            f"{model}: scan runs ONNX models; export the checkpoint first: "
            f"qrdeblur export --model {model} --onnx MODEL.onnx --int8"
        )
    key = (str(Path(model).resolve()) if model is not None else None, threads)
    if key not in _DEBLURRERS:
        if model is None and not scan_model_path().exists():
            return None
        if model is None:
            model = scan_model_path()
        deblurrer = Deblurrer.load(model, threads)
        if deblurrer.has_estimator:
            from qrdeblur.restore.module_grid import warm_up

            warm_up()
        _DEBLURRERS[key] = deblurrer
    return _DEBLURRERS[key]


def scan(
    image,
    model: str | Path | None = None,
    budget_ms: float | None = None,
    deblurrer=None,
    config: CascadeConfig | None = None,
    observer: Observer | None = None,
    effort: str = "normal",
    known=None,
    known_ms: float | None = None,
) -> list[Code]:
    """Decode every QR code in an image, deblurring the ones plain decoding misses.

    Args:
        image: a path (PNG, JPEG, WebP, BMP, TIFF; EXIF orientation applied) or an array (H, W),
            (H, W, 3) RGB or (H, W, 4) RGBA, uint8 or uint16.
        model: generator to deblur with (.onnx path); None = the shipped scan generator
            (``scan-wiener-qrunet``, see :func:`qrdeblur.restore.deblurrer.scan_model_path`).
        budget_ms: time budget for reading the image and the whole cascade (None: the effort's, 800 ms
            at ``normal``); the plain reads always complete, later steps start only while time is left.
            Loading the model (the first call in a process, ~1 s) is not counted.
        deblurrer: an already loaded :class:`~qrdeblur.restore.deblurrer.Deblurrer` (overrides ``model``).
        config: cascade knobs (:class:`CascadeConfig`).
        effort: ``normal``, or ``high``: a hard photo gets more time (6 s by default) and the blind
            kernel search for blur no parametric estimate describes (camera shake); photos zxing-cpp
            reads by itself stay as fast. Ignored when ``config`` is given (its steps decide).
        observer: called with an :class:`~qrdeblur.scan.result.Attempt` after each step the cascade
            runs (which step read which code, in how long).
        known: the payloads that may be in the image: a :class:`~qrdeblur.identify.KnownCodes`
            (rendered once: pass the same object for many images), a list of texts or a payload file.
            A candidate no step decodes is then identified among them (method ``match``, with its
            ``score`` and ``margin``) in up to ``CascadeConfig.known_ms`` (800 ms) after the cascade,
            or left unread when no code is clearly ahead; a decoded code is never replaced by a match.
        known_ms: the time for that identification (None: the config's, 800 ms); a candidate whose
            identification it cannot finish is left unread.

    Returns:
        :class:`Code` list: text, corners (input pixel coordinates), method, decoder.

    Raises:
        ImageReadError: ``image`` is a path that cannot be read.
        UsageError: an array of unsupported shape or dtype, a negative budget, an unloadable model.
    """
    if effort not in EFFORTS:
        raise UsageError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
    effort_config, effort_budget = EFFORTS[effort]
    if config is None and effort != "normal":
        config = effort_config
    if known_ms is not None:
        if not np.isfinite(known_ms) or known_ms < 0:
            raise UsageError(f"identification time must be a number of milliseconds >= 0, got {known_ms}")
        config = dataclasses.replace(config or effort_config, known_ms=float(known_ms))
    budget_ms = effort_budget if budget_ms is None else budget_ms
    if not np.isfinite(budget_ms) or budget_ms < 0:
        raise UsageError(f"time budget must be a number of milliseconds >= 0, got {budget_ms}")
    if deblurrer is None:
        deblurrer = load_deblurrer(model)  # once per process (cached), so outside the budget
    if known is not None:  # rendered outside the budget too (pass KnownCodes to render once)
        from qrdeblur.identify.catalog import known_codes

        known = known_codes(known)
    t0 = time.perf_counter()
    if isinstance(image, (str, Path)):
        image = read_image(image)
    grey = to_grey(image)
    return _cascade(deblurrer, config, observer).run(grey, budget_ms, t0, as_loaded(image, grey), known)


def as_loaded(image, grey: np.ndarray) -> np.ndarray:
    """The image as zxing-cpp's own read takes it: ``image`` itself when it is uint8 grey, RGB or RGBA,
    else its grey conversion (zxing-cpp reads 8-bit pixels only)."""
    a = np.asarray(image)
    if a.dtype == np.uint8 and (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        return a
    return grey


_CASCADES: dict = {}


def _cascade(deblurrer, config: CascadeConfig | None, observer: Observer | None = None) -> Cascade:
    """A cascade for this generator, reused across calls with the default config: it learns the
    generator's speed on this machine, which keeps the last step inside the budget (a cascade with
    another config or an observer starts from what the default one learned)."""
    entry = _CASCADES.get(id(deblurrer))
    if entry is None or entry[0] is not deblurrer:
        if len(_CASCADES) > 8:
            _CASCADES.clear()
        entry = _CASCADES[id(deblurrer)] = (deblurrer, Cascade(deblurrer))
    if config is None and observer is None:
        return entry[1]
    cascade = Cascade(deblurrer, config, observer)
    cascade.timing = entry[1].timing
    return cascade
