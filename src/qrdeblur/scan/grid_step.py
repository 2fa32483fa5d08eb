"""The ``grid`` step: read a code blurred over several modules by solving its modules, not its pixels.

On an exact outline (a detector's, or one located in a restored crop: the grid is registered from it,
so it must be within a module or so), the versions are ranked by how well their known modules
(finders, timing, alignment), blurred by the generator's estimate and registered, fit the crop; for
the best ones the modules are solved under the estimated blur, then under the blur refitted to the
solved modules, then under nearby blurs (:mod:`qrdeblur.restore.module_grid`), and each solution is
rendered clean and decoded. The decoder's error correction tells a right solution from a wrong one.
"""

from __future__ import annotations

import time

import numpy as np

from qrdeblur.decode.zxing import read_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import VERSIONS, nearby_blurs, rank_versions, render_modules, solve_codes
from qrdeblur.scan.config import Step
from qrdeblur.scan.locate import Candidate
from qrdeblur.scan.result import Code
from qrdeblur.scan.scene import Scene

#: Modules assumed across an outline whose module pitch cannot be measured (a version-4 code).
DEFAULT_MODULES = 33.0


def grid_step(scene: Scene, cand: Candidate, step: Step, time_left: float) -> None:
    """Rank the versions on ``cand``'s outline, solve the best ones' modules, decode; codes read are
    added to ``scene``. Runs for at most ``min(time_left, grid_max_ms)`` ms."""
    cfg = scene.config
    if not cand.exact or cfg.grid_versions <= 0 or time_left < cfg.grid_min_ms or not scene.has_estimator:
        return
    t_end = time.perf_counter() + min(time_left, cfg.grid_max_ms) / 1000
    image = scene.grey_float

    def blur_at(n: int) -> tuple[float, float, float] | None:
        """The estimator's blur on the candidate rectified for n modules (cached)."""
        key = ("grid-blur", id(cand), n)
        if key not in scene.cache:
            scene.cache[key] = scene.blur_on(cand.quad, n)
        return scene.cache[key]

    guess = scene.modules(cand) or DEFAULT_MODULES
    ref = blur_at(int(round(guess)))
    if ref is None:
        return

    def kernel_at(version: int) -> np.ndarray:
        """The reference blur scaled to this version's grid crop (lengths grow with the module count)."""
        f = modules(version) / guess
        return kernel_of(max(1.0, ref[0] * f), ref[1], max(0.3, ref[2] * f))

    for version, rho, quad in rank_versions(image, cand.quad, kernel_at, VERSIONS)[: cfg.grid_versions]:
        if rho < cfg.grid_min_correlation:
            return
        length, angle, sigma = blur_at(modules(version)) or ref
        # a registered fit this good is a code: worth a few nearby blurs when the estimate fails
        blurs = [(length, angle, sigma, 0.0)]
        if rho >= cfg.grid_variant_correlation:
            blurs += nearby_blurs(length, angle, sigma, cfg.grid_blur_variants)
        for k, blur in enumerate(blurs):
            if time.perf_counter() > t_end:
                return
            # the estimate's solve refits the blur to its own modules; nearby blurs are tried as they are
            refits = cfg.grid_refits if k == 0 else 0
            solved = False
            for sol in solve_codes(image, quad, version, kernel_of(*blur), refits, grow=cfg.grid_refit_grow):
                solved = True
                ok, _ = read_grey(render_modules(sol.dark))
                for result in ok:
                    if scene.add(Code.from_result(result, sol.corners.tolist(), step.method)):
                        return
                if time.perf_counter() > t_end:
                    return
            if not solved:
                break
