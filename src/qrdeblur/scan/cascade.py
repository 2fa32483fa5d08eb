"""The scanning cascade: plain reads of the whole image first, then locate, rectify, restore and decode.

Order:

1. **raw**: zxing-cpp's own default read of the image as it was loaded (colour or grey, its own
   rotation, downscaling and inversion tries), so a scan never reads less than zxing-cpp alone; then
   zxing-cpp on the grey image (upscaled when small), which also returns the outlines of codes it
   located but could not decode. Then **contrast**: the same on the image with its local contrast
   equalised (a code in dark ink on dark film is invisible to zxing-cpp's binarizer however sharp).
   Every code these read is kept; the steps below can only add codes.
2. **candidates** (:mod:`qrdeblur.scan.locate`): those outlines, then high-contrast texture regions
   (best first), minus those centred on an outline. When the plain reads read something, only
   code-like regions are tried, briefly (``CascadeConfig.followup_*``): easy photos stay fast, and a
   second code beside the one read is still looked for, longer when the codes read are blurred.
3. **main pass**, candidate by candidate (``CascadeConfig.main_steps``): the detector outlines' cheap
   steps first, then their ``grid`` steps, then each other candidate with all its main steps. An
   outline zxing-cpp locates in a restored texture crop becomes the next candidate (``refine``).
4. **alternatives** (``CascadeConfig.alt_steps``): one step at a time over every candidate still
   unread, while the budget lasts; an outline one locates gets the main steps at once.

The time budget is checked before each step; a deblur predicted (from the generator's measured speed)
to overrun it is skipped, so a scan ends within about one decode of the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from qrdeblur.contrast import equalise_contrast
from qrdeblur.decode.base import DecodeResult
from qrdeblur.decode.zxing import read_as_loaded, read_grey
from qrdeblur.errors import UsageError
from qrdeblur.geometry import quad_side
from qrdeblur.qrspec import modules
from qrdeblur.restore.module_grid import PX
from qrdeblur.scan import locate
from qrdeblur.scan.config import CascadeConfig, Step
from qrdeblur.scan.result import Attempt, Code
from qrdeblur.scan.scene import Scene
from qrdeblur.scan.steps import STEP_KINDS, GeneratorTiming

RAW = Step("raw", "raw")
CONTRAST = Step("contrast", "contrast")
MATCH = Step("match", "match")

Observer = Callable[[Attempt], None]


class Cascade:
    """Runs the cascade on grey images; holds the optional generator, the config and the generator's
    measured speed (which keeps the last step inside the budget).

    Args:
        deblurrer: a :class:`~qrdeblur.restore.deblurrer.Deblurrer`, or None to skip the learned
            restoration (the classical steps still run).
        config: :class:`~qrdeblur.scan.config.CascadeConfig`.
        observer: called with an :class:`~qrdeblur.scan.result.Attempt` after every step (research and
            diagnostics: which step read which code, in how long).
    """

    def __init__(self, deblurrer=None, config: CascadeConfig | None = None, observer: Observer | None = None):
        self.deblurrer = deblurrer
        self.config = config or CascadeConfig()
        self.observer = observer
        self.timing = GeneratorTiming()
        for step in (*self.config.main_steps, *self.config.alt_steps):
            if step.restore not in STEP_KINDS:
                raise UsageError(f"unknown step kind {step.restore!r}; choose one of {', '.join(STEP_KINDS)}")

    def attempt(self, scene: Scene, cand: locate.Candidate, step: Step, time_left: float = np.inf):
        """Run one step on one candidate (codes read go to ``scene``); returns the outlines it located."""
        t = time.perf_counter()
        n = len(scene.codes)
        outlines = STEP_KINDS[step.restore](scene, cand, step, time_left, self.timing)
        if self.observer is not None:
            ms = (time.perf_counter() - t) * 1000
            self.observer(Attempt(step, cand, scene.codes[n:], outlines, ms))
        return outlines

    def _plain_read(self, scene: Scene, image: np.ndarray, step: Step, as_loaded: bool = False):
        """zxing-cpp on a whole image (``as_loaded``: its default read of the image as loaded; else the
        grey read, with the outlines it located and could not decode); returns (results that were new
        codes, all results, outlines)."""
        t = time.perf_counter()
        ok, failed = (read_as_loaded(image), []) if as_loaded else read_grey(image, errors=True)
        new = [r for r in ok if scene.add(Code.from_result(r, r.corners, step.method))]
        if self.observer is not None:
            codes = scene.codes[len(scene.codes) - len(new) :]
            self.observer(Attempt(step, None, codes, failed, (time.perf_counter() - t) * 1000))
        return new, ok, failed

    def _read_blur_px(self, scene: Scene, read: list[DecodeResult]) -> float:
        """The largest blur extent (image px: motion length + 2.5 sigma) the generator's estimator sees
        on the codes read (each rectified at 3 px per module); 0 without an estimator."""
        if not scene.has_estimator or not np.isfinite(self.config.followup_blur_px):
            return 0.0
        worst = 0.0
        for result in read:
            if result.version is None:
                continue
            n = modules(result.version)
            blur = scene.blur_on(result.corners, n)
            if blur is not None:
                worst = max(worst, (blur[0] + 2.5 * blur[2]) * quad_side(np.asarray(result.corners)) / (n * PX))
        return worst

    def run(
        self,
        grey: np.ndarray,
        budget_ms: float = 800.0,
        t0: float | None = None,
        image: np.ndarray | None = None,
        known=None,
    ) -> list[Code]:
        """Every code found in ``grey`` ((H, W) uint8), each once, plain reads first.

        ``image``: the image as loaded ((H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8) for
        zxing-cpp's own read, which comes first; None: ``grey``. ``known``: a
        :class:`~qrdeblur.identify.KnownCodes`; the candidates no step read are then identified among
        them, in up to ``known_ms`` more (method ``match``)."""
        t0 = time.perf_counter() if t0 is None else t0
        cfg = self.config
        if known is None:
            return self.prepare(grey, budget_ms, t0, image)[0].codes
        scene, cands = self.prepare(grey, budget_ms, t0, image)
        self.identify(scene, cands, known, time.perf_counter() + cfg.known_ms / 1000.0)
        return scene.codes

    def identify(self, scene: Scene, cands: list[locate.Candidate], known, deadline: float) -> None:
        """Identify the best ``known_candidates`` candidates no code covers among ``known`` (method
        ``match``), until ``deadline`` (``time.perf_counter()``); a payload already read in the image is
        not matched again."""
        from qrdeblur.identify import identify

        t = time.perf_counter()
        tried = 0
        for cand in cands:
            if tried >= self.config.known_candidates or time.perf_counter() >= deadline:
                break
            if not scene.is_open(cand):
                continue
            tried += 1
            match = identify(scene.grey, cand.quad, known, deadline=deadline)
            if match is not None and all(c.text != match.text for c in scene.codes):
                code = Code(match.text, match.corners, "match", "identify", score=match.score, margin=match.margin)
                if scene.add(code) and self.observer is not None:
                    self.observer(Attempt(MATCH, cand, [code], [], (time.perf_counter() - t) * 1000))

    def prepare(
        self, grey: np.ndarray, budget_ms: float, t0: float, image: np.ndarray | None = None
    ) -> tuple[Scene, list[locate.Candidate]]:
        """The cascade proper: the scene with the codes read, and the candidates it tried (best first),
        which :meth:`identify` takes."""
        cfg = self.config
        scene = Scene(grey, cfg, self.deblurrer)
        self._plain_read(scene, grey if image is None else image, RAW, as_loaded=True)

        # the grey reads decide how far to follow up, whatever the first read found
        plain = Scene(grey, cfg, self.deblurrer)
        _, ok, failed = self._plain_read(plain, grey, RAW)
        if cfg.contrast_clip > 0:
            new, _, failed_eq = self._plain_read(plain, equalise_contrast(grey, cfg.contrast_clip), CONTRAST)
            ok += new
            failed += [q for q in failed_eq if not any(locate.same_place(q, f) for f in failed)]
        for code in plain.codes:
            scene.add(code)
        deadline, grid_deadline, min_score = budget_ms, budget_ms, 0.0
        if plain.codes:  # an easy photo: look further only for code-like regions, briefly
            scene.followup = True
            deadline, min_score = min(budget_ms, cfg.followup_ms), cfg.followup_min_score
            # ... unless the codes read are blurred enough that a code with smaller modules was not
            if self._read_blur_px(scene, ok) >= cfg.followup_blur_px:
                deadline, min_score = min(budget_ms, cfg.followup_blurred_ms), cfg.followup_blurred_min_score
            # ... but a code located and not read is worth the grid step's time
            grid_deadline = min(budget_ms, max(deadline, cfg.followup_grid_ms))
        if (time.perf_counter() - t0) * 1000 >= deadline:
            return scene, []

        cands = locate.zxing_candidates(failed)
        exact = [c.quad for c in cands]
        # texture boxes centred on a detector's outline add nothing: the outline is exact
        cands += [
            c
            for c in locate.texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
            if c.score >= min_score and not locate.centred_on(c, exact)
        ]
        _Schedule(self, scene, cands, t0, deadline, grid_deadline).run()
        return scene, cands


class _Schedule:
    """The order in which one image's candidates get their steps, within the deadlines.

    Units of work, in order: each detector outline's cheap steps, then their ``grid`` steps; each other
    candidate with all its main steps, best first (an outline located in a restored crop comes next);
    then the alternative steps, one over every open candidate before the next.
    """

    def __init__(self, cascade: Cascade, scene: Scene, cands, t0: float, deadline: float, grid_deadline: float):
        self.cascade, self.scene, self.cands = cascade, scene, cands
        self.t0, self.deadline, self.grid_deadline = t0, deadline, grid_deadline
        self.n_detected = next((k for k, c in enumerate(cands) if c.source != "zxing"), len(cands))
        main = cascade.config.main_steps
        self.detection_stages = ([s for s in main if s.restore != "grid"], [s for s in main if s.restore == "grid"])
        self.stage, self.index = 0, 0  # the detections' stage (cheap, grid) and the next detection in it
        self.started: set[int] = {id(c) for c in cands[: self.n_detected]}  # candidates given their main steps
        self.alternative, self.alt_taken = 0, set()  # the alternative step under way, candidates given it
        self.stop = False

    def elapsed(self) -> float:
        return (time.perf_counter() - self.t0) * 1000

    def limit_of(self, step: Step) -> float:
        return self.grid_deadline if step.restore == "grid" else self.deadline

    def time_is_up(self, step: Step) -> bool | None:
        """True: stop the scan; None: skip this step (past the follow-up's deadline only the grid step
        runs, on exact outlines); False: go on."""
        if self.elapsed() < self.limit_of(step):
            return False
        return True if self.elapsed() >= self.grid_deadline else None

    def add_outlines(self, found, parent: locate.Candidate, after_parent: bool) -> list[locate.Candidate]:
        """Outlines located in ``parent``'s restored crop as new exact candidates (none twice): right after
        the parent (``after_parent``: the main pass takes them next) or at the end."""
        new: list[locate.Candidate] = []
        for q, source in found:  # zxing-cpp reports a code once per try: one candidate per place
            if not any(locate.same_place(q, c.quad) for c in self.cands + new if c.exact):
                new.append(locate.Candidate(q, source, parent.score, True))
        if after_parent:
            at = next(k for k, c in enumerate(self.cands) if c is parent) + 1
            self.cands[at:at] = new
        else:
            self.cands += new
            self.started.update(id(c) for c in new)
        return new

    def next_unit(self) -> tuple[locate.Candidate, tuple[Step, ...], bool] | None:
        """The next unit (candidate, steps, is an alternative step), None when there is none."""
        if self.stop or self.elapsed() >= self.grid_deadline:
            return None
        while self.stage < len(self.detection_stages):
            if self.index < self.n_detected:
                self.index += 1
                return self.cands[self.index - 1], tuple(self.detection_stages[self.stage]), False
            self.stage, self.index = self.stage + 1, 0
        for cand in self.cands:  # the main pass, also while the alternatives run: located outlines first
            if id(cand) not in self.started:
                self.started.add(id(cand))
                return cand, self.cascade.config.main_steps, False
        alt_steps = self.cascade.config.alt_steps
        while self.alternative < len(alt_steps) and self.elapsed() < self.deadline:
            for cand in self.cands:
                if id(cand) not in self.alt_taken:
                    self.alt_taken.add(id(cand))
                    if self.scene.is_open(cand):
                        return cand, (alt_steps[self.alternative],), True
            self.alternative, self.alt_taken = self.alternative + 1, set()
        return None

    def run(self) -> None:
        while (unit := self.next_unit()) is not None:
            self.run_unit(*unit)

    def attempt(self, cand: locate.Candidate, step: Step):
        return self.cascade.attempt(self.scene, cand, step, self.limit_of(step) - self.elapsed())

    def run_unit(self, cand: locate.Candidate, steps: tuple[Step, ...], alternative: bool) -> None:
        """Run ``steps`` on ``cand`` in turn. A main-pass unit skips steps past their deadline; an
        alternative step's unit runs nothing past the follow-up's deadline, and gives an outline it
        locates the main steps at once."""
        main = self.cascade.config.main_steps
        for step in steps:
            if alternative:
                if self.elapsed() >= self.deadline:
                    return
            else:
                up = self.time_is_up(step)
                if up:
                    self.stop = True
                    return
                if up is None:
                    continue
            if not self.scene.is_open(cand):
                return
            found = self.attempt(cand, step)
            if not found:
                continue
            for new in self.add_outlines(found, cand, after_parent=not alternative):
                if alternative:
                    for first in main:
                        if self.elapsed() >= self.deadline or not self.scene.is_open(new):
                            break
                        self.attempt(new, first)
