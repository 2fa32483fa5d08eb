"""One image's state during a scan: its grey pixels, the codes read so far, and per-image caches.

The steps (:mod:`qrdeblur.scan.steps`) work through a :class:`Scene`: it rectifies a candidate at a
step's scale (once per scale), estimates its module count, measures the generator's blur on it, and
adds a code unless the same text was already read at an overlapping place.
"""

from __future__ import annotations

import numpy as np

from qrdeblur.contrast import stretch_contrast
from qrdeblur.geometry import Rectified, estimate_module_px, quad_side, rectify
from qrdeblur.restore.latent_kernel import latent_picture
from qrdeblur.restore.module_grid import PX
from qrdeblur.scan import locate
from qrdeblur.scan.config import CascadeConfig, Step
from qrdeblur.scan.result import Code


class Scene:
    """One grey image being scanned.

    Args:
        grey: (H, W) uint8.
        config: the cascade's configuration.
        deblurrer: the generator (a :class:`~qrdeblur.restore.deblurrer.Deblurrer` or anything with
            ``deblur`` and optionally ``estimate_blur``), or None.
        followup: the plain reads already read a code (the cascade only follows up briefly).
    """

    def __init__(self, grey: np.ndarray, config: CascadeConfig, deblurrer=None, followup: bool = False):
        self.grey = grey
        self.config = config
        self.deblurrer = deblurrer
        self.followup = followup
        self.codes: list[Code] = []
        self.cache: dict = {}

    # ------------------------------------------------------------------------------ codes
    def add(self, new: Code) -> bool:
        """Append ``new`` unless the same text was already read at an overlapping place."""
        centre = np.mean(np.asarray(new.corners), axis=0)
        for c in self.codes:
            if c.text == new.text and (
                locate.quad_contains(c.corners, centre, 0.25)
                or locate.quad_contains(new.corners, np.mean(c.corners, axis=0), 0.25)
            ):
                return False
        self.codes.append(new)
        return True

    def is_open(self, cand: locate.Candidate) -> bool:
        """No code read so far covers the candidate."""
        return not locate.covered(cand, [c.corners for c in self.codes])

    # ------------------------------------------------------------------------------ pixels
    @property
    def grey_float(self) -> np.ndarray:
        """The image as float32 in [0, 1] (computed once)."""
        if "float" not in self.cache:
            self.cache["float"] = self.grey.astype(np.float32) / 255.0
        return self.cache["float"]

    def modules(self, cand: locate.Candidate) -> float | None:
        """Estimated number of modules across the candidate's quad, None when unclear (cached)."""
        key = ("modules", id(cand))
        if key not in self.cache:
            native = quad_side(cand.quad)
            probe = rectify(self.grey, cand.quad, int(np.clip(round(native), 24, 512)), 0)
            est = estimate_module_px(probe.image)
            n = probe.side / est if est else None
            self.cache[key] = n if n is not None and 15 <= n <= probe.side / 1.5 else None
        return self.cache[key]

    def rectified(self, cand: locate.Candidate, step: Step) -> Rectified | None:
        """The candidate rectified at the step's scale (cached per side), or None to skip the step."""
        cfg = self.config
        if step.scale == "module":
            n_modules = self.modules(cand)
            if n_modules is None:
                return None
            side = n_modules * step.factor
        elif step.scale == "side":
            side = step.factor
        else:
            side = quad_side(cand.quad) * step.factor
        side = int(np.clip(round(side), cfg.min_side, cfg.max_side))
        fraction = cfg.margin if step.margin is None else step.margin
        key = (id(cand), side, fraction)
        if key not in self.cache:
            self.cache[key] = rectify(self.grey, cand.quad, side, int(round(side * fraction)) + 4)
        return self.cache[key]

    def blur_on(self, quad, n: int) -> tuple[float, float, float] | None:
        """The generator's blur estimate (length, angle, sigma; crop px) on ``quad`` rectified as a code
        of ``n`` modules at the grid's 3 px per module, with the cascade's margin, contrast stretched."""
        side = n * PX
        rect = rectify(self.grey, quad, side, int(round(side * self.config.margin)) + 4)
        return self.deblurrer.estimate_blur(stretch_contrast(rect.image))

    @property
    def latent_picture(self):
        """The learned blur estimate's picture network (frame -> sharp picture), None without one."""
        return latent_picture(self.config.latent_model)

    @property
    def has_estimator(self) -> bool:
        """The generator estimates the blur (needed by the ``grid`` step)."""
        return hasattr(self.deblurrer, "estimate_blur")
