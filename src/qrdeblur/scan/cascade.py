"""The scanning cascade: plain decoding first, then locate, rectify, rescale, deblur, decode.

Order and why:

1. **raw**: zxing-cpp on the whole grey image (upscaled when small, as ``zxing-only`` does). Its
   results are always kept, so ``scan`` never reads fewer codes than zxing-cpp alone; the same call
   (``return_errors``) also returns codes it located but could not decode. Then **contrast**: the
   same on the image with its local contrast equalised (CLAHE, :func:`equalise_contrast`): zxing-cpp's
   binarizer takes a block of under 24 grey levels for a flat one, so a code printed in dark ink on
   a dark film is invisible to it however sharp (``CascadeConfig.contrast_clip``).
2. **candidates** (:mod:`qrdeblur.scan.locate`): those detections, then high-contrast texture
   regions (best first), minus the ones an already decoded code covers and those centred on a
   detection (the same region; ``texture_beside_detections``). When the raw decode read
   something, only code-like regions (score >= ``followup_min_score``) are tried, and only until
   ``followup_ms``: easy photos stay fast, and a second code beside the one read is still looked for.
   When the codes read are themselves blurred (``followup_blur_px``, the generator's estimate on
   them), a code with smaller modules may be there unread: the follow-up is then longer and wider.
3. **main pass**, candidate by candidate (:data:`MAIN_STEPS`): the rectified crop decoded as is
   (``rectify``: rectification and upscaling alone read some codes), the classical ``sharpen``,
   then the generator (``deblur``) with the crop at 3 px per module when the module pitch can be
   measured (:func:`~qrdeblur.geometry.estimate_module_px`), else with the code about 128 px wide.
   Before the generator the crop's contrast is stretched to the full range (:func:`stretch_contrast`):
   the generator learned full-contrast codes. When zxing-cpp locates a code in a texture
   candidate's restored crop but cannot decode it, that outline becomes the next candidate
   (``CascadeConfig.refine``): the code then fills the crop at the working scale. Last, on exact
   outlines only (a detector's, a refined one, or three finder patterns found in a restored crop:
   :mod:`qrdeblur.scan.finders`), ``grid``: the versions are ranked by how their known modules fit,
   the grid registered, and the modules solved under the estimated blur, then under the blur refitted
   to the solved modules (:mod:`qrdeblur.restore.module_grid`); it reads codes blurred over 3-5
   modules that no pixel restorer here reads, at 100-350 ms a try (``grid_max_ms``), so it comes after
   the generator.
4. **alternatives**, step by step over the candidates still unread (:data:`ALT_STEPS`): the code
   about 96 px wide, the native scale, about 176 px wide, half the native scale, 4 px per module
   (``deblur-rescale``); mostly for the outlines zxing-cpp locates in them (``refine``). The
   generator applied twice (``deblur-2x``) is a step kind a configuration may add.

Why these scales: on the ``photo`` suite, for the codes zxing-cpp misses, each scale reads a
partly different subset; the steps are ordered by codes read per millisecond (a 128 px square
reads about as many as the native scale at half the cost; the native scale and 1.25x add the most
afterwards). Measured with the first shipped generator (2026-11-25, md5 23149c43...) and re-checked
with the second (global context) in session 3: recording which (candidate, step) pair reads which
code on all 300 ``photo`` scenes, 19 step variants, and replaying the cascade on the record. Every
variant together could read 293 codes at most; the session-2 steps replay to 271, the same steps
on contrast-stretched crops to 277, and the best greedy reordering found to 279, so only the
stretch was adopted (the photo bench under the same load: 262 -> 270 codes). Since the ``refine``
and ``grid`` steps (sessions 9-11) the alternatives serve mostly to locate codes, and were reordered
for that (:data:`ALT_STEPS`).

Only what a decoder returned is reported (zxing-cpp checks the Reed-Solomon error correction), so a
restoration that invents modules cannot produce a false read, only a failed one. The time budget is
checked before each step, and a deblur predicted (from the generator's measured speed) to overrun
it is skipped, so a scan ends within about one decode of the budget.
"""

from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np

from qrdeblur.contrast import equalise_contrast, stretch_contrast
from qrdeblur.decode.decoders import DEFAULT_MIN_SIDE, upscale_for_decoding
from qrdeblur.geometry import estimate_module_px, quad_side, rectify
from qrdeblur.scan import locate


@dataclass
class Code:
    """A decoded QR code.

    Attributes:
        text: the payload as text (best effort when it is not valid UTF-8).
        corners: four [x, y] corners in the input image (after EXIF orientation), the code's own
            top-left, top-right, bottom-right, bottom-left.
        method: how it was read: ``raw``, ``rectify``, ``deblur``, ``deblur-rescale``, ``deblur-2x``
            or ``sharpen``.
        decoder: the decoder that read it (``zxing-cpp``).
        bytes_b64: the raw payload bytes, base64, when they are not valid UTF-8; else None.
    """

    text: str
    corners: list[list[float]]
    method: str
    decoder: str = "zxing-cpp"
    bytes_b64: str | None = None

    def to_dict(self) -> dict:
        """The JSON form of DESIGN.md (``bytes_b64`` only when set)."""
        d = asdict(self)
        if d["bytes_b64"] is None:
            del d["bytes_b64"]
        d["corners"] = [[round(x, 1), round(y, 1)] for x, y in d["corners"]]
        return d


@dataclass(frozen=True)
class Step:
    """One attempt on a candidate: how to restore it and at which scale.

    Attributes:
        method: the name reported with codes it reads.
        restore: ``none`` (decode the rectified crop), ``deblur``, ``deblur-2x``, ``sharpen`` or ``grid``
            (solve the modules under the estimated blur, :mod:`qrdeblur.restore.module_grid`; exact
            candidates only, its own scales).
        scale: ``native`` (the candidate's own pixel size times ``factor``), ``module`` (``factor``
            px per module, from the estimated module pitch; skipped when the pitch is unclear) or
            ``side`` (the candidate square is ``factor`` px wide, whatever its size).
        factor: see ``scale``.
        stretch: stretch the crop's contrast to the full range (1st and 99th percentiles to black
            and white) before restoring it. The generator learned full-contrast codes; a label in
            a photo is often grey on tinted paper under uneven light.
        margin: the crop's margin around the candidate square, as a fraction of its side (None: the
            configuration's ``margin``).
    """

    method: str
    restore: str
    scale: str = "native"
    factor: float = 1.0
    stretch: bool = False
    margin: float | None = None


#: First pass over the candidates, best candidate first: the cheap steps (the rectified crop as is,
#: the classical sharpen, a few ms each) then the generator on the contrast-stretched crop at 3 px
#: per module, and with the code about 128 px wide.
MAIN_STEPS = (
    Step("rectify", "none"),
    Step("sharpen", "sharpen"),
    Step("deblur", "deblur", "module", 3.0, stretch=True),
    Step("deblur", "deblur", "side", 128, stretch=True),
    Step("grid", "grid"),
)
#: Later passes over the candidates still unread, one step at a time, while the budget lasts. They
#: read few codes themselves: their worth is the outlines zxing-cpp locates in their crops (``refine``),
#: which the main steps and the ``grid`` step then read, and the code about 128 px wide gives the most
#: of those, so other sides come first (session 11: on ``photo`` scenes 0-89 the session-10 list -
#: native, 0.5, 1.25, the generator twice, 4 px per module - read nothing directly in 16 of the
#: cascade's 35 s, and its refined outlines 6 codes; this list 427 vs 425 on the whole suite).
ALT_STEPS = (
    Step("deblur-rescale", "deblur", "side", 96, stretch=True),
    Step("deblur-rescale", "deblur", "native", 1.0, stretch=True),
    Step("deblur-rescale", "deblur", "side", 176, stretch=True),
    Step("deblur-rescale", "deblur", "native", 0.5),
    Step("deblur-rescale", "deblur", "module", 4.0),
)


@dataclass
class CascadeConfig:
    """Knobs of the cascade (defaults measured on the ``photo`` suite; see the module docstring).

    Attributes:
        main_steps: steps of the first pass (:data:`MAIN_STEPS`).
        alt_steps: steps of the later passes (:data:`ALT_STEPS`).
        margin: crop margin around the candidate square, as a fraction of the square's side.
        max_side: largest rectified square side (px): bigger candidates are scaled down to it.
        min_side: smallest rectified square side (px): smaller ones are scaled up to it.
        followup_ms: when the raw decode already read a code, the time (from the start) after which
            no further candidate is tried; keeps easy photos fast.
        followup_min_score: ... and the texture score a candidate needs to be tried at all then.
        followup_grid_ms: ... except the ``grid`` step on an exact outline found by then (a code
            located and not read: worth the time), which may run until this time.
        followup_blur_px: ... and when the codes read are blurred over this many image px or more
            (the generator's estimate on each, motion length + 2.5 sigma), a code with smaller
            modules may be there unread: the follow-up then runs until ``followup_blurred_ms`` over
            candidates scoring ``followup_blurred_min_score`` or more. On the ``photo`` suite a
            250 ms follow-up over scores from 0.2 read 421 codes where 130 ms over 0.4 read 411, and
            the estimate on the codes read raw reached 6 px in 42 of the 100 photos read completely
            and in 9 of the 10 that gained; gated so: 420 vs 412 (400 ms: 422 vs 420), the photos
            read completely 77 ms median (session 11, ``docs/research/followup_blur_probe.py``).
        max_candidates: texture candidates considered per image.
        texture_split: irregular texture regions (a code merged with the text or texture beside it) are
            also cut at their necks into parts with outlines of their own, scored this fraction of a
            region that stood alone (0: not cut; :func:`~qrdeblur.scan.locate.texture_candidates`).
        texture_beside_detections: a texture box is dropped as a duplicate only when it is centred on a
            detector's outline and of a like size (:func:`~qrdeblur.scan.locate.centred_on`); False:
            whenever its centre lies inside one (session 12 and before), which hid a code beside a
            failed detection that spanned it and its neighbour (session 13).
        texture_coherence: texture candidates whose edges run one way more than this (orientation
            coherence: barcodes, text lines) are ranked lower (:func:`~qrdeblur.scan.locate.coherence_factor`;
            inf: not).
        use_opencv: add OpenCV's detector to the candidate sources.
        crop_binarizers: zxing-cpp binarizers tried in turn on a restored crop.
        min_deblurred_fraction: a code read after the generator must be at least this fraction of
            the candidate square's side, else it is dropped. A generator can draw a small code out
            of clutter that zxing-cpp's error correction accepts (a version-1 symbol at level L has
            few check symbols): in session 7 a generator fine-tuned on the ``scan`` preset read one
            such false code on the ``photo`` suite, a quarter of its candidate's width. Real codes
            fill most of their candidate square (the square is the code's outline or a texture box
            fitted around it); the plain steps (``rectify``, ``sharpen``) cannot invent modules and
            are not checked.
        refine: when zxing-cpp locates a code in a texture candidate's restored crop but cannot
            decode it, try its located outline as a new exact candidate next. A texture box is the
            blur halo's outline, not the symbol's, so its crop holds the code off-centre at a guessed
            scale; the located outline rectifies the code to fill the square at the working scale,
            as the generator learned. On the ``photo`` suite the cascade given each code's true
            outline read 366 codes where it read 332 with its own candidates
            (``docs/research/photo_oracle.py``).
        refine_finders: when zxing-cpp locates nothing in a texture candidate's restored crop, look
            for three finder patterns there (:mod:`qrdeblur.scan.finders`) and refine their outline
            (for the ``grid`` step, which registers the grid from within a module or so); the best two
            triples. Off by default: on ``photo`` scenes 0-89 it found outlines for codes nothing else
            located, but its grid steps took a fifth of the cascade's time and the read count did not
            rise (132 without, 131 with; session 10).
        grid_versions: the ``grid`` step solves the modules for this many versions, the best ranked
            (0 turns the step off).
        grid_min_ms: ... and is skipped with less time left than this (it costs 100-400 ms).
        grid_max_ms: ... and stops after this long on one outline. On the ``photo`` suite every code
            the step read was read within 310 ms (77 codes, median 134 ms), while a few outlines that
            fit well but are no code (or one the step cannot read) kept trying nearby blurs until the
            budget ran out, and the photo's other candidates were never tried (session 13).
        grid_min_correlation: ... and solves only versions whose known modules, blurred and registered,
            correlate with the crop at least this well (codes: about 0.9 and more; on the whole
            ``photo`` suite 0.8 read 401 where 0.85, with variants from 0.9, read 396: session 10).
        grid_variant_correlation: ... and when the fit is at least this good and the estimated blur's
            solve does not decode, tries up to ``grid_blur_variants`` nearby blurs, a defocus disk
            first (:data:`~qrdeblur.restore.module_grid.BLUR_VARIANTS`; the decoder's error
            correction tells the right one: on 125 lost ``photo`` codes 43 -> 63 read).
        grid_refits: the estimated blur's solve is followed by this many solves under the blur refitted
            to the last solve's modules (:func:`~qrdeblur.restore.module_grid.solve_codes`), each
            decoded, before the nearby blurs (125 lost ``photo`` codes: 80 read with 4 refits, the
            nearby blurs without refits 63; whole suite 411 vs 401, session 11).
        grid_variant_refits: ... and this many after each nearby blur (0: none; 2 read no more on
            scenes 0-89).
        grid_refit_grow: a refitted blur may reach this many px (at 3 px per module) past the
            estimate's support.
        grid_finder_search: on a finder outline (``refine_finders``) the grid's registration also
            starts this many modules off each way (:func:`~qrdeblur.restore.module_grid.start_shifts`).
        grid_soft_margin: when a solve's thresholded modules do not decode, decode its soft modules
            with the least confident codewords erased (:mod:`qrdeblur.decode.soft_modules`), each
            Reed-Solomon block's correction leaving this many check codewords unused; codes read so
            report the method ``grid-erasures``. 0: off (whole suite 421 and 424 with margins 4 and 3
            against 422 without, interleaved, session 19: within a run's noise).
        contrast_clip: after the raw decode, zxing-cpp reads the image again with its local contrast
            equalised (CLAHE with this clip limit, 8 x 8 tiles; 0: not); codes read so report the
            method ``contrast``, and the codes it locates but cannot decode join the candidates.
            On the ``photo`` suite zxing-cpp reads 226 codes this way (with the raw decode) instead
            of 222, two of them codes the cascade lost (printed on dark film, 10-18 grey levels of
            contrast), for about 8 ms per photo (session 12).
        workers: units of work (a candidate's main steps, an alternative step on one) run at once
            on this many threads, the caller's among them (:class:`_Work`); 1: all in the caller's.
            On 2 cores a second worker does not pay: one already keeps 1.8-1.9 cores busy
            (onnxruntime's threads), two with onnxruntime on one thread each try about 25 % more steps
            in a hard photo's budget, and on ``photo`` scenes 0-89 read 144 codes (142 with
            onnxruntime's default threads) where one reads 145 (session 13). Not measured on more cores.
    """

    main_steps: tuple[Step, ...] = MAIN_STEPS
    alt_steps: tuple[Step, ...] = ALT_STEPS
    margin: float = 0.15
    max_side: int = 256
    min_side: int = 64
    followup_ms: float = 130.0
    followup_min_score: float = 0.4
    followup_grid_ms: float = 600.0
    followup_blur_px: float = 6.0
    followup_blurred_ms: float = 400.0
    followup_blurred_min_score: float = 0.2
    max_candidates: int = 24
    texture_coherence: float = locate.TEXTURE_COHERENCE_LOW
    use_opencv: bool = False
    crop_binarizers: tuple[str, ...] = ("LocalAverage", "GlobalHistogram")
    min_deblurred_fraction: float = 0.5
    refine: bool = True
    refine_finders: bool = False
    grid_versions: int = 2
    grid_min_ms: float = 150.0
    grid_max_ms: float = 350.0
    texture_beside_detections: bool = True
    texture_split: float = locate.TEXTURE_SPLIT_WEIGHT
    grid_min_correlation: float = 0.8
    grid_variant_correlation: float = 0.85
    grid_blur_variants: int = 6
    grid_refits: int = 4
    grid_variant_refits: int = 0
    grid_refit_grow: int = 3
    grid_finder_search: float = 1.0
    grid_soft_margin: int = 0
    contrast_clip: float = 4.0
    workers: int = 1
    extra: dict = field(default_factory=dict)


def _code_from_zxing(bc, corners: list[list[float]], method: str) -> Code:
    raw = bytes(bc.bytes)
    b64 = None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        b64 = base64.b64encode(raw).decode("ascii")
    return Code(bc.text, corners, method, "zxing-cpp", b64)


def _position(bc) -> list[list[float]]:
    p = bc.position
    return [[float(q.x), float(q.y)] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


class _Reader:
    """zxing-cpp with the decoders module's upscaling of small images; corners in the input frame."""

    def __init__(self):
        import zxingcpp

        self.zx = zxingcpp
        self.formats = zxingcpp.BarcodeFormat.QRCode

    def read(self, grey: np.ndarray, errors: bool = False, min_side: int = DEFAULT_MIN_SIDE, binarizers=None):
        """(decoded [(barcode, corners)], failed [corners]) for ``grey``.

        ``binarizers``: zxing-cpp binarizer names tried in turn until one decodes (default: its
        LocalAverage only).
        """
        big, factor = upscale_for_decoding(grey, min_side, "cubic")
        ok, failed = [], []
        for name in binarizers or ("LocalAverage",):
            binarizer = getattr(self.zx.Binarizer, name)
            for bc in self.zx.read_barcodes(
                big, formats=self.formats, return_errors=errors, binarizer=binarizer
            ):
                corners = [[x / factor, y / factor] for x, y in _position(bc)]
                if bc.valid:
                    ok.append((bc, corners))
                else:
                    failed.append(corners)
            if ok:
                break
        return ok, failed


class Cascade:
    """Runs the cascade on grey images; holds the decoder, the optional generator and the config.

    Args:
        deblurrer: a :class:`~qrdeblur.restore.deblurrer.Deblurrer`, or None to skip the learned
            restoration (the classical alternatives still run).
        config: :class:`CascadeConfig`.
    """

    def __init__(self, deblurrer=None, config: CascadeConfig | None = None):
        self.deblurrer = deblurrer
        self.config = config or CascadeConfig()
        self.reader = _Reader()
        self._ms_per_px: float | None = 6e-4  # a prior (2 cores, qrunet), replaced once measured
        self._lock = threading.Lock()  # guards the codes list of a run, which two workers may extend
        self._pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------------------ bookkeeping
    def _add(self, codes: list[Code], new: Code) -> bool:
        """Append ``new`` unless the same text was already read at an overlapping place."""
        centre = np.mean(np.asarray(new.corners), axis=0)
        with self._lock:
            for c in codes:
                if c.text == new.text and (
                    locate.quad_contains(c.corners, centre, 0.25)
                    or locate.quad_contains(new.corners, np.mean(c.corners, axis=0), 0.25)
                ):
                    return False
            codes.append(new)
        return True

    # ------------------------------------------------------------------------------ geometry
    def _modules(self, cand: locate.Candidate, grey: np.ndarray, cache: dict) -> float | None:
        """Estimated number of modules across the candidate's quad, None when unclear (cached)."""
        key = ("modules", id(cand))
        if key not in cache:
            native = quad_side(cand.quad)
            probe = rectify(grey, cand.quad, int(np.clip(round(native), 24, 512)), 0)
            est = estimate_module_px(probe.image)
            n = probe.side / est if est else None
            cache[key] = n if n is not None and 15 <= n <= probe.side / 1.5 else None
        return cache[key]

    def _rectified(self, grey, cand, step: Step, cache: dict):
        """The candidate rectified at the step's scale (cached per side), or None to skip the step."""
        cfg = self.config
        if step.scale == "module":
            n_modules = self._modules(cand, grey, cache)
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
        if key not in cache:
            cache[key] = rectify(grey, cand.quad, side, int(round(side * fraction)) + 4)
        return cache[key]

    def _attempt(
        self, grey, cand, step: Step, codes: list[Code], cache: dict, time_left: float = np.inf
    ) -> list[np.ndarray]:
        """Run one step on one candidate; codes read are added to ``codes``.

        A deblur whose predicted duration (from the generator's measured speed on this machine,
        per pixel) exceeds ``time_left`` ms is skipped, so the budget is not overrun by much.

        Returns (outline, source) for codes zxing-cpp located in the restored crop of a texture
        candidate but could not decode (``refined``, see :attr:`CascadeConfig.refine`), else for
        three finder patterns found there (``finders``, :attr:`CascadeConfig.refine_finders`); else [].
        """
        if step.restore.startswith("deblur") and self.deblurrer is None:
            return []
        if step.restore == "grid":
            self._grid(grey, cand, step, codes, cache, time_left)
            return []
        rect = self._rectified(grey, cand, step, cache)
        if rect is None:
            return []
        key = ("done", id(rect), step.restore, step.stretch)
        if key in cache:  # the same crop and restoration already tried (e.g. two scales clipped alike)
            return []
        passes = 2 if step.restore == "deblur-2x" else 1 if step.restore == "deblur" else 0
        if passes and self._ms_per_px is not None and passes * self._ms_per_px * rect.image.size > time_left:
            return []
        cache[key] = True
        crop = stretch_contrast(rect.image) if step.stretch else rect.image
        if step.restore == "none":
            out = crop
        elif step.restore == "sharpen":
            from qrdeblur.restore.classical import sharpen

            out = (sharpen(crop.astype(np.float32) / 255.0) * 255).astype(np.uint8)
        else:
            t = time.perf_counter()
            out = self.deblurrer.deblur(crop)
            if step.restore == "deblur-2x":
                out = self.deblurrer.deblur(out)
            rate = (time.perf_counter() - t) * 1000 / (passes * rect.image.size)
            # remember the slowest recent speed (a loaded machine is slow for a while)
            self._ms_per_px = (
                rate if self._ms_per_px is None else max(rate, 0.7 * self._ms_per_px + 0.3 * rate)
            )
        refine = self.config.refine and passes > 0 and not cand.exact
        ok, failed = self.reader.read(out, errors=refine, binarizers=self.config.crop_binarizers)
        read = False
        for bc, corners in ok:
            if passes and quad_side(corners) < self.config.min_deblurred_fraction * rect.side:
                continue  # a small code drawn by the generator inside a larger candidate: not trusted
            read = self._add(codes, _code_from_zxing(bc, rect.points_to_image(corners), step.method)) or read
        if read or not refine:
            return []
        lo, hi = self.config.min_deblurred_fraction * rect.side, 1.5 * rect.side
        outlines = [(np.asarray(rect.points_to_image(q)), "refined") for q in failed if lo <= quad_side(q) <= hi]
        if not outlines and self.config.refine_finders and self.config.grid_versions > 0 and not cache.get("followup"):
            # finder patterns zxing-cpp gives up on, for the grid step (which registers the rest)
            from qrdeblur.scan.finders import finder_outlines

            outlines = []
            for q, n in finder_outlines(out, 2):
                if lo <= quad_side(q) <= hi:
                    quad = np.asarray(rect.points_to_image(q.tolist()))
                    cache[("finder-modules", quad.tobytes())] = n
                    outlines.append((quad, "finders"))
        return outlines

    def _grid(self, grey, cand, step: Step, codes: list[Code], cache: dict, time_left: float) -> None:
        """The ``grid`` step: rank the versions on the outline, solve the best ones' modules, decode.

        Needs an exact outline (a detector's or a refined one: the grid is registered from there, it
        must be within a module or so) and a generator with a blur estimator.
        """
        from qrdeblur.decode.soft_modules import correct_modules
        from qrdeblur.restore.finder_kernel import kernel_of
        from qrdeblur.restore.module_grid import VERSIONS, nearby_blurs, rank_versions, render_modules, solve_codes

        cfg = self.config
        has_estimator = hasattr(self.deblurrer, "estimate_blur")
        if not cand.exact or cfg.grid_versions <= 0 or time_left < cfg.grid_min_ms or not has_estimator:
            return
        t_end = time.perf_counter() + min(time_left, cfg.grid_max_ms) / 1000
        if "float" not in cache:
            cache["float"] = grey.astype(np.float32) / 255.0
        image = cache["float"]

        def blur_at(n: int) -> tuple[float, float, float] | None:
            """The estimator's blur on the candidate rectified at PX px per module for n modules."""
            key = ("grid-blur", id(cand), n)
            if key not in cache:
                cache[key] = self._blur_on(grey, cand.quad, n)
            return cache[key]

        guess = self._modules(cand, grey, cache) or 33.0
        ref = blur_at(int(round(guess)))
        if ref is None:
            return

        def kernel_at(version: int) -> np.ndarray:
            """The reference blur scaled to this version's grid crop (lengths grow with the module count)."""
            f = (17 + 4 * version) / guess
            return kernel_of(max(1.0, ref[0] * f), ref[1], max(0.3, ref[2] * f))

        turns = (0, 1, 2, 3) if cand.source == "opencv" else (0,)  # zxing-cpp's and ours start top-left
        versions = VERSIONS
        counted = cache.get(("finder-modules", np.asarray(cand.quad).tobytes()))
        if counted is not None:  # the finders' spacing gave the module count to about one version
            versions = tuple(v for v in VERSIONS if abs(17 + 4 * v - counted) <= 5)
        # finder outlines come from a poor restoration: a module or so off, so registration starts around them
        search = cfg.grid_finder_search if cand.source == "finders" else 0.0
        ranked = rank_versions(image, cand.quad, kernel_at, versions, turns=turns, search=search)
        for version, rho, quad in ranked[: cfg.grid_versions]:
            if rho < cfg.grid_min_correlation:
                return
            n = 17 + 4 * version
            length, angle, sigma = blur_at(n) or ref
            # a registered fit this good is a code: worth a few nearby blurs when the estimate fails
            blurs = [(length, angle, sigma, 0.0)]
            if rho >= cfg.grid_variant_correlation:
                blurs += nearby_blurs(length, angle, sigma, cfg.grid_blur_variants)
            for k, blur in enumerate(blurs):
                if time.perf_counter() > t_end:
                    return
                # the estimate's solve refits the blur to its own modules; nearby blurs are tried as they are
                refits = cfg.grid_refits if k == 0 else cfg.grid_variant_refits
                solved = False
                for sol in solve_codes(
                    image, quad, version, kernel_of(*blur), refits, grow=cfg.grid_refit_grow, search=search
                ):
                    solved = True
                    ok, _ = self.reader.read(render_modules(sol.dark))
                    method = step.method
                    if not ok and cfg.grid_soft_margin > 0 and sol.soft is not None:
                        # the codewords the solve is least sure of, erased (Reed-Solomon corrects twice as many)
                        fixed = correct_modules(sol.soft, version, cfg.grid_soft_margin)
                        if fixed is not None:
                            ok, _ = self.reader.read(render_modules(fixed))
                            method = "grid-erasures"
                    for bc, _corners in ok:
                        if self._add(codes, _code_from_zxing(bc, sol.corners.tolist(), method)):
                            return
                    if time.perf_counter() > t_end:
                        return
                if not solved:
                    break

    def _blur_on(self, grey: np.ndarray, quad, n: int) -> tuple[float, float, float] | None:
        """The estimator's blur (length, angle, sigma; crop px) on ``quad`` rectified as a code of ``n``
        modules at the grid's 3 px per module, with the cascade's margin, contrast stretched."""
        from qrdeblur.restore.module_grid import PX

        side = n * PX
        rect = rectify(grey, quad, side, int(round(side * self.config.margin)) + 4)
        return self.deblurrer.estimate_blur(stretch_contrast(rect.image))

    def _read_blur_px(self, grey: np.ndarray, read: list) -> float:
        """The largest blur extent (image px: motion length + 2.5 sigma) the generator's estimator sees
        on the codes zxing-cpp read (each rectified at 3 px per module); 0 without an estimator."""
        from qrdeblur.restore.module_grid import PX

        if not hasattr(self.deblurrer, "estimate_blur") or not np.isfinite(self.config.followup_blur_px):
            return 0.0
        worst = 0.0
        for bc, corners in read:
            try:
                n = 17 + 4 * int(bc.extra.get("Version", 0))
            except (AttributeError, TypeError, ValueError):
                continue
            if n <= 17:
                continue
            blur = self._blur_on(grey, corners, n)
            if blur is not None:
                worst = max(worst, (blur[0] + 2.5 * blur[2]) * quad_side(np.asarray(corners)) / (n * PX))
        return worst

    # ------------------------------------------------------------------------------ the cascade
    def run(self, grey: np.ndarray, budget_ms: float = 800.0, t0: float | None = None) -> list[Code]:
        """Every code found in ``grey`` ((H, W) uint8), each once, raw reads first."""
        t0 = time.perf_counter() if t0 is None else t0
        cfg = self.config

        def elapsed() -> float:
            return (time.perf_counter() - t0) * 1000

        codes: list[Code] = []
        ok, failed = self.reader.read(grey, errors=True)
        for bc, corners in ok:
            self._add(codes, _code_from_zxing(bc, corners, "raw"))
        if cfg.contrast_clip > 0:
            ok_eq, failed_eq = self.reader.read(equalise_contrast(grey, cfg.contrast_clip), errors=True)
            ok += [(bc, q) for bc, q in ok_eq if self._add(codes, _code_from_zxing(bc, q, "contrast"))]
            failed += [q for q in failed_eq if not any(locate.same_place(q, f) for f in failed)]
        deadline, grid_deadline, min_score = budget_ms, budget_ms, 0.0
        if codes:  # an easy photo: look further only for code-like regions, briefly
            deadline, min_score = min(budget_ms, cfg.followup_ms), cfg.followup_min_score
            # ... unless the codes read are blurred enough that a code with smaller modules was not
            if self._read_blur_px(grey, ok) >= cfg.followup_blur_px:
                deadline, min_score = min(budget_ms, cfg.followup_blurred_ms), cfg.followup_blurred_min_score
            # ... but a code located and not read is worth the grid step's time
            grid_deadline = min(budget_ms, max(deadline, cfg.followup_grid_ms))
        if elapsed() >= deadline:
            return codes

        cands = locate.zxing_candidates(failed)
        if cfg.use_opencv:
            cands += locate.opencv_candidates(grey)
        exact = [c.quad for c in cands]
        # texture boxes centred on a detector quad add nothing: the quad is exact
        same_region = locate.centred_on if cfg.texture_beside_detections else partial(locate.covered, grow=0.0)
        cands += [
            c
            for c in locate.texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
            if c.score >= min_score and not same_region(c, exact)
        ]
        work = _Work(self, grey, cands, codes, t0, deadline, grid_deadline, bool(codes))
        helpers = [self._helpers().submit(work.work) for _ in range(max(0, cfg.workers - 1))]
        work.work()
        for helper in helpers:
            helper.result()
        return codes

    def _helpers(self) -> ThreadPoolExecutor:
        """The threads that take units of work beside the caller's (``CascadeConfig.workers`` - 1)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max(1, self.config.workers - 1), thread_name_prefix="qrdeblur-scan")
        return self._pool


class _Work:
    """One photo's candidates after the raw decode, and the steps still to run on them, shared by the
    cascade's workers.

    Units of work, in the order of the module docstring: each detector outline's cheap steps, then
    their ``grid`` steps; each other candidate with all its main steps, best first (an outline located
    in a restored crop comes next); then the alternative steps, one over every open candidate before the
    next. A free worker takes the next unit in that order at the time it asks; the alternatives move
    to their next step only when no unit of the current one is under way, so an outline located in
    one is given the rest of the step too. With one worker (the default) this is the sequential
    cascade; with two, two units run at once (onnxruntime, OpenCV and the grid solver's FFTs release
    the GIL).
    """

    def __init__(self, cascade: Cascade, grey, cands, codes, t0, deadline, grid_deadline, followup: bool):
        self.cascade, self.grey, self.cands, self.codes = cascade, grey, cands, codes
        self.t0, self.deadline, self.grid_deadline = t0, deadline, grid_deadline
        self.cache: dict = {"followup": followup}
        self.n_detected = next((k for k, c in enumerate(cands) if c.source not in ("zxing", "opencv")), len(cands))
        main = cascade.config.main_steps
        self.detection_stages = ([s for s in main if s.restore != "grid"], [s for s in main if s.restore == "grid"])
        self.lock = threading.Condition()  # guards everything below, and ``cands``
        self.stage, self.index = 0, 0  # the detections' stage (cheap, grid) and the next detection in it
        self.started: set[int] = {id(c) for c in cands[: self.n_detected]}  # candidates given their main steps
        self.alternative, self.alt_taken = 0, set()  # the alternative step under way, candidates given it
        self.alt_running = 0  # its units under way (which may add candidates it must visit too)
        self.busy, self.stop = 0, False

    # ------------------------------------------------------------------------------ time
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

    # ------------------------------------------------------------------------------ candidates
    def is_open(self, cand: locate.Candidate) -> bool:
        return not locate.covered(cand, [c.corners for c in list(self.codes)])

    def steps_for(self, cand: locate.Candidate, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        # a finder outline comes from a crop the generator failed on: only the grid step is new
        return tuple(s for s in steps if s.restore == "grid") if cand.source == "finders" else steps

    def add_outlines(self, found: list[tuple[np.ndarray, str]], parent: locate.Candidate, after_parent: bool):
        """Outlines located in ``parent``'s restored crop as new exact candidates (none twice): right
        after the parent (``after_parent``; the main pass takes them next) or at the end; finder
        outlines (a guess) always at the end. Returns the new candidates."""
        with self.lock:
            new: list[locate.Candidate] = []
            for q, source in found:  # zxing-cpp reports a code once per try: one candidate per place
                if not any(locate.same_place(q, c.quad) for c in self.cands + new if c.exact):
                    new.append(locate.Candidate(q, source, parent.score, True))
            located = [c for c in new if c.source != "finders"]
            if after_parent:
                at = next(k for k, c in enumerate(self.cands) if c is parent) + 1
                self.cands[at:at] = located
            else:
                self.cands += located
                self.started.update(id(c) for c in located)
            self.cands += [c for c in new if c.source == "finders"]
            self.lock.notify_all()
        return located

    # ------------------------------------------------------------------------------ units of work
    def _next(self) -> tuple[locate.Candidate, tuple[Step, ...], bool] | None:
        """The next unit (candidate, steps, is an alternative step), None when there is none now.

        The alternative steps move on to the next only when no unit of the current one is under way:
        an outline that one locates is given the rest of the step too."""
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
                return cand, self.steps_for(cand, self.cascade.config.main_steps), False
        alt_steps = self.cascade.config.alt_steps
        while self.alternative < len(alt_steps) and self.elapsed() < self.deadline:
            for cand in self.cands:
                if id(cand) not in self.alt_taken and cand.source != "finders":
                    self.alt_taken.add(id(cand))
                    if self.is_open(cand):
                        self.alt_running += 1
                        return cand, (alt_steps[self.alternative],), True
            if self.alt_running:
                return None
            self.alternative, self.alt_taken = self.alternative + 1, set()
        return None

    def work(self) -> None:
        """Take units until none is left (or the time is up); waits while another worker's unit may
        still locate new outlines."""
        while True:
            with self.lock:
                unit = self._next()
                while unit is None and self.busy and not self.stop and self.elapsed() < self.grid_deadline:
                    self.lock.wait(max(0.001, (self.grid_deadline - self.elapsed()) / 1000))
                    unit = self._next()
                if unit is None:
                    self.lock.notify_all()
                    return
                self.busy += 1
            try:
                self._run(*unit)
            finally:
                with self.lock:
                    self.busy -= 1
                    self.alt_running -= unit[2]
                    self.lock.notify_all()

    def _attempt(self, cand, step: Step) -> list[tuple[np.ndarray, str]]:
        time_left = self.limit_of(step) - self.elapsed()
        return self.cascade._attempt(self.grey, cand, step, self.codes, self.cache, time_left)

    def _run(self, cand: locate.Candidate, steps: tuple[Step, ...], alternative: bool) -> None:
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
            if not self.is_open(cand):
                return
            found = self._attempt(cand, step)
            if not found:
                continue
            for new in self.add_outlines(found, cand, after_parent=not alternative):
                if alternative:
                    for first in self.steps_for(new, main):
                        if self.elapsed() >= self.deadline or not self.is_open(new):
                            break
                        self._attempt(new, first)


__all__ = ["ALT_STEPS", "MAIN_STEPS", "Cascade", "CascadeConfig", "Code", "Step"]
