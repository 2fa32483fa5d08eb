"""What the cascade tries and for how long: :class:`Step`, the default step lists, :class:`CascadeConfig`.

The defaults were chosen on the ``photo`` bench suite (docs/benchmarks.md; what was tried and not
adopted is in docs/research/README.md). A step's ``restore`` names the function that runs it in
:data:`qrdeblur.scan.steps.STEP_KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from qrdeblur.scan import locate


@dataclass(frozen=True)
class Step:
    """One attempt on a candidate: how to restore it and at which scale.

    Attributes:
        method: the name reported with the codes it reads.
        restore: the step kind, a key of :data:`qrdeblur.scan.steps.STEP_KINDS`: ``none`` (decode the
            rectified crop), ``sharpen`` (classical unsharp mask), ``deblur`` (the generator) or
            ``grid`` (solve the modules under the estimated blur; exact outlines only, its own scales),
            ``finder-pair`` (the code from two finder patterns and a guessed third; its own scale),
            ``unwrap`` (a located code unwrapped off a cylinder; its own scale).
        scale: ``native`` (the candidate's own pixel size times ``factor``), ``module`` (``factor``
            px per module, from the estimated module pitch; skipped when the pitch is unclear) or
            ``side`` (the candidate square is ``factor`` px wide, whatever its size).
        factor: see ``scale``.
        stretch: stretch the crop's contrast to the full range before restoring it (the generator
            learned full-contrast codes; a label in a photo is often grey on tinted paper).
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
#: the classical sharpen, the code read from two finder patterns; a few ms each; a code zxing-cpp
#: locates, of known version, unwrapped off a cylinder: 50-200 ms, and only where zxing-cpp located a
#: QR code it could not decode; on the ``hard`` suite's cylinder cell it took the scan from 17 to 34
#: of 40 codes, while the median time on images zxing-cpp reads alone stayed 29 ms), the generator on
#: the contrast-stretched crop at 3 px per module and with the code about 128 px wide, then the
#: module grid on exact outlines.
MAIN_STEPS = (
    Step("rectify", "none"),
    Step("sharpen", "sharpen"),
    Step("finder-pair", "finder-pair"),
    Step("unwrap", "unwrap"),
    Step("deblur", "deblur", "module", 3.0, stretch=True),
    Step("deblur", "deblur", "side", 128, stretch=True),
    Step("grid", "grid"),
)

#: Later passes over the candidates still unread, one step at a time, while the budget lasts. Their
#: worth is mostly the outlines zxing-cpp locates in their crops (``CascadeConfig.refine``), which the
#: main steps then read; each scale locates a partly different subset.
ALT_STEPS = (
    Step("deblur-rescale", "deblur", "side", 96, stretch=True),
    Step("deblur-rescale", "deblur", "native", 1.0, stretch=True),
    Step("deblur-rescale", "deblur", "side", 176, stretch=True),
    Step("deblur-rescale", "deblur", "native", 0.5),
    Step("deblur-rescale", "deblur", "module", 4.0),
)


#: What a scan given more effort adds after the alternatives (``effort="high"``): the blind kernel
#: search on every candidate still unread, seconds per candidate, for blur no parametric estimate
#: describes (camera shake over 2-6 module widths). The learned estimate (``latent-kernel``) is not
#: here: on the ``shake`` suite it took the search's time and read less (105 of 200 against 112).
HIGH_EFFORT_STEPS = (Step("kernel-search", "kernel-search"),)


@dataclass
class CascadeConfig:
    """The cascade's steps, scales and time limits.

    Attributes:
        main_steps: steps of the first pass (:data:`MAIN_STEPS`).
        alt_steps: steps of the later passes (:data:`ALT_STEPS`).
        margin: crop margin around the candidate square, as a fraction of the square's side.
        max_side: largest rectified square side (px): bigger candidates are scaled down to it.
        min_side: smallest rectified square side (px): smaller ones are scaled up to it.
        followup_ms: when the plain reads already read a code, the time (from the start) after which
            no further candidate is tried: easy photos stay fast.
        followup_min_score: ... and the texture score a candidate needs to be tried at all then.
        followup_grid_ms: ... except the ``grid`` step on an exact outline (a code located and not
            read), which may run until this time.
        followup_blur_px: ... and when the codes read are blurred over this many image px or more
            (the generator's estimate on each: motion length + 2.5 sigma), a code with smaller modules
            may be there unread: the follow-up then runs until ``followup_blurred_ms`` over candidates
            scoring ``followup_blurred_min_score`` or more.
        followup_rule_steps: run ``finder-pair`` and ``unwrap`` in the follow-up too (off: on photos the
            plain reads already read, they cost more time than the codes they add).
        max_candidates: texture candidates considered per image.
        texture_split: irregular texture regions are also cut at their necks into parts scored this
            fraction of a region that stood alone (0: not cut; :func:`~qrdeblur.scan.locate.texture_candidates`).
        texture_coherence: texture candidates whose edges run one way more than this (barcodes, text
            lines) are ranked lower (inf: not).
        crop_binarizers: zxing-cpp binarizers tried in turn on a restored crop.
        min_deblurred_fraction: a code read after the generator must be at least this fraction of the
            candidate square's side, else it is dropped: a generator can draw a small code out of
            clutter that a weak error correction accepts, while real codes fill most of their
            candidate square. The plain steps cannot invent modules and are not checked.
        refine: when zxing-cpp locates a code in a texture candidate's restored crop but cannot decode
            it, try that outline as a new exact candidate next (a texture box is the blur halo's
            outline; the located one makes the code fill the crop at the working scale).
        grid_versions: the ``grid`` step solves the modules for this many versions, the best ranked
            (0 turns the step off).
        grid_min_ms: ... and is skipped with less time left than this.
        grid_max_ms: ... and stops after this long on one outline.
        grid_min_correlation: ... and solves only versions whose known modules, blurred and
            registered, correlate with the crop at least this well.
        grid_variant_correlation: ... and when the fit is at least this good and the estimated blur's
            solve does not decode, tries up to ``grid_blur_variants`` nearby blurs (the decoder's
            error correction tells the right one).
        grid_refits: the estimated blur's solve is followed by this many solves under the blur
            refitted to the last solve's modules, each decoded, before the nearby blurs.
        grid_refit_grow: a refitted blur may reach this many px (at 3 px per module) past the
            estimate's support.
        contrast_clip: after the plain reads, zxing-cpp reads the image again with its local contrast
            equalised (CLAHE with this clip limit; 0: not): a code printed in dark ink on a dark film
            is invisible to its binarizer however sharp. Codes read so report the method ``contrast``.
        kernel_search_lengths: the ``kernel-search`` step's straight-line starts, as fractions of the
            candidate's side, ...
        kernel_search_angles: ... at this many angles over 180 degrees, ...
        kernel_search_rounds: ... each refined this many rounds.
        latent_model: the ``latent-kernel`` step's picture network (.onnx, e.g. one trained with
            ``configs/ablations/shake-latent.yaml``); None: the step is skipped. No step list of the
            product runs it (``docs/research/README.md``).
        latent_kernel_rounds: ... and the two-tone refinements of each fitted kernel.
        known_ms: with known payloads (``scan(..., known=...)``), the time after the cascade for
            identifying the candidates no step read (:mod:`qrdeblur.identify`): the cascade keeps its
            whole budget, so a list never costs a code the cascade decodes.
        known_candidates: ... tried best first, at most this many.
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
    followup_rule_steps: bool = False
    max_candidates: int = 24
    texture_coherence: float = locate.TEXTURE_COHERENCE_LOW
    texture_split: float = locate.TEXTURE_SPLIT_WEIGHT
    crop_binarizers: tuple[str, ...] = ("LocalAverage", "GlobalHistogram")
    min_deblurred_fraction: float = 0.5
    refine: bool = True
    grid_versions: int = 2
    grid_min_ms: float = 150.0
    grid_max_ms: float = 350.0
    grid_min_correlation: float = 0.8
    grid_variant_correlation: float = 0.85
    grid_blur_variants: int = 6
    grid_refits: int = 4
    grid_refit_grow: int = 3
    contrast_clip: float = 4.0
    kernel_search_lengths: tuple[float, ...] = (0.04, 0.08, 0.16, 0.27)
    kernel_search_angles: int = 12
    kernel_search_rounds: int = 6
    latent_model: str | None = None
    latent_kernel_rounds: int = 3
    known_ms: float = 800.0
    known_candidates: int = 2


#: ``scan``'s effort levels: the cascade's configuration and its default time budget (ms).
EFFORTS: dict[str, tuple[CascadeConfig, float]] = {
    "normal": (CascadeConfig(), 800.0),
    "high": (CascadeConfig(alt_steps=ALT_STEPS + HIGH_EFFORT_STEPS), 6000.0),
}
