"""The scanning cascade: plain decoding first, then locate, rectify, rescale, deblur, decode.

Order and why:

1. **raw**: zxing-cpp on the whole grey image (upscaled when small, as ``zxing-only`` does). Its
   results are always kept, so ``scan`` never reads fewer codes than zxing-cpp alone; the same call
   (``return_errors``) also returns codes it located but could not decode.
2. **candidates** (:mod:`qrdeblur.scan.locate`): those detections, OpenCV's detector, then
   high-contrast texture regions, minus the ones an already decoded code covers.
3. **deblur**: per candidate, rectify to an upright square at the generator's working scale
   (:data:`CascadeConfig.module_px` px per module, estimated from the region's side and the module
   pitch, :func:`~qrdeblur.scan.rectify.estimate_module_px`), deblur, decode with zxing-cpp. The
   rectified crop is also decoded as is first (``rectify``: rectification and upscaling alone read
   some codes, for 2 ms).
4. **alternatives** while the budget lasts, for candidates still unread: other working scales
   (``deblur-rescale``), the generator applied twice (``deblur-2x``), the classical unsharp mask and
   local threshold (``sharpen``).

Only what a decoder returned is reported (zxing-cpp checks the Reed-Solomon error correction), so a
restoration that invents modules cannot produce a false read, only a failed one. The time budget is
checked before each step; one step (a deblur and a decode) takes tens of milliseconds.
"""

from __future__ import annotations

import base64
import time
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from qrdeblur.decode.decoders import DEFAULT_MIN_SIDE, upscale_for_decoding
from qrdeblur.scan import locate
from qrdeblur.scan.rectify import estimate_module_px, quad_side, rectify


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


@dataclass
class CascadeConfig:
    """Knobs of the cascade (defaults measured on the ``photo`` suite, see the README bench notes).

    Attributes:
        module_px: working scale for the generator, px per module (its training range is 2.4-4 for
            whole codes, 2-8 for windows).
        alt_module_px: working scales tried in the alternatives stage.
        margin: crop margin around the code square, as a fraction of the square's side.
        max_side: largest rectified square side (px), whatever the estimate.
        min_side: smallest rectified square side (px).
        followup_ms: when the raw decode already read a code, the time (from the start) after
            which no further candidate is tried; keeps easy photos fast.
        max_candidates: texture candidates considered per image.
        use_opencv: include OpenCV's detector among the candidate sources.
        use_sharpen: try the classical ``sharpen`` in the alternatives stage.
    """

    module_px: float = 3.0
    alt_module_px: tuple[float, ...] = (4.0, 2.4)
    margin: float = 0.15
    max_side: int = 256
    min_side: int = 64
    followup_ms: float = 120.0
    max_candidates: int = 24
    use_opencv: bool = True
    use_sharpen: bool = True
    policy: str = "estimate"
    guess_modules: float = 33.0
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

    def read(self, grey: np.ndarray, errors: bool = False, min_side: int = DEFAULT_MIN_SIDE):
        """(decoded [(barcode, corners)], failed [corners]) for ``grey``."""
        big, factor = upscale_for_decoding(grey, min_side, "cubic")
        ok, failed = [], []
        for bc in self.zx.read_barcodes(big, formats=self.formats, return_errors=errors):
            corners = [[x / factor, y / factor] for x, y in _position(bc)]
            if bc.valid:
                ok.append((bc, corners))
            else:
                failed.append(corners)
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

    # ------------------------------------------------------------------------------ bookkeeping
    def _add(self, codes: list[Code], new: Code) -> bool:
        """Append ``new`` unless the same text was already read at an overlapping place."""
        centre = np.mean(np.asarray(new.corners), axis=0)
        for c in codes:
            if c.text == new.text and (locate.quad_contains(c.corners, centre, 0.25)
                                       or locate.quad_contains(new.corners, np.mean(c.corners, axis=0), 0.25)):
                return False
        codes.append(new)
        return True

    # ------------------------------------------------------------------------------ geometry
    def _modules(self, cand: locate.Candidate, grey: np.ndarray, cache: dict) -> float | None:
        """Estimated number of modules across the candidate's quad, None when unclear (cached)."""
        key = id(cand)
        if key not in cache:
            native = quad_side(cand.quad)
            probe = rectify(grey, cand.quad, int(np.clip(round(native), 24, 512)), 0)
            est = estimate_module_px(probe.image)
            n = probe.side / est if est else None
            cache[key] = n if n is not None and 15 <= n <= probe.side / 1.5 else None
        return cache[key]

    def _rectified(self, grey, cand, module_px: float, cache: dict):
        cfg = self.config
        n_modules = self._modules(cand, grey, cache) if cfg.policy != "native" else None
        if n_modules is not None:
            side = n_modules * module_px
        elif cfg.policy == "guess":
            side = cfg.guess_modules * module_px
        else:  # native scale, rescaled by the ratio of working scales
            side = quad_side(cand.quad) * module_px / cfg.module_px
        side = int(np.clip(round(side), cfg.min_side, cfg.max_side))
        key = (id(cand), side)
        if key not in cache:
            margin = int(round(side * cfg.margin)) + 4
            cache[key] = rectify(grey, cand.quad, side, margin)
        return cache[key]

    def _decode_crop(self, crop: np.ndarray, rect, method: str, codes: list[Code]) -> list[Code]:
        found = []
        ok, _ = self.reader.read(crop)
        for bc, corners in ok:
            code = _code_from_zxing(bc, rect.points_to_image(corners), method)
            if self._add(codes, code):
                found.append(code)
        return found

    def _attempt(self, grey, cand, module_px: float, method: str, how: str, codes: list[Code], cache: dict):
        rect = self._rectified(grey, cand, module_px, cache)
        if how == "rectify":
            return self._decode_crop(rect.image, rect, method, codes)
        if how == "sharpen":
            from qrdeblur.restore.classical import sharpen

            out = sharpen(rect.image.astype(np.float32) / 255.0)
            return self._decode_crop((out * 255).astype(np.uint8), rect, method, codes)
        restored = self.deblurrer.deblur(rect.image)
        if how == "deblur-2x":
            restored = self.deblurrer.deblur(restored)
        return self._decode_crop(restored, rect, method, codes)

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
        deadline = budget_ms if not codes else min(budget_ms, cfg.followup_ms)
        if elapsed() >= deadline:
            return codes

        cands = locate.zxing_candidates(failed)
        if cfg.use_opencv:
            cands += locate.opencv_candidates(grey)
        cands += locate.texture_candidates(grey, cfg.max_candidates)
        # prefer exact detector quads: drop texture boxes centred on one
        exact = [c.quad for c in cands if c.exact]
        cands = [c for c in cands if c.exact or not locate.covered(c, exact, 0.0)]

        def is_open(cand) -> bool:
            return not locate.covered(cand, [c.corners for c in codes])

        cache: dict = {}
        # stage 3: the main attempt per candidate, best first
        plan = [("rectify", "rectify", cfg.module_px)]
        if self.deblurrer is not None:
            plan.append(("deblur", "deblur", cfg.module_px))
        for cand in cands:
            for method, how, mpx in plan:
                if elapsed() >= deadline:
                    return codes
                if is_open(cand):
                    self._attempt(grey, cand, mpx, method, how, codes, cache)

        # stage 4: alternatives while the budget lasts
        alts = []
        if self.deblurrer is not None:
            alts += [("deblur-rescale", "deblur", m) for m in cfg.alt_module_px]
            alts.append(("deblur-2x", "deblur-2x", cfg.module_px))
        if cfg.use_sharpen:
            alts.append(("sharpen", "sharpen", cfg.module_px))
        for method, how, mpx in alts:
            for cand in cands:
                if elapsed() >= deadline:
                    return codes
                if is_open(cand):
                    self._attempt(grey, cand, mpx, method, how, codes, cache)
        return codes


def to_grey(image: np.ndarray) -> np.ndarray:
    """(H, W) / (H, W, 3) RGB / (H, W, 4) RGBA, uint8 or uint16 (or float in [0, 1]) -> (H, W) uint8."""
    from qrdeblur.errors import UsageError

    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise UsageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {a.shape}")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype.kind == "f":
        a = np.clip(np.round(np.nan_to_num(a) * 255), 0, 255).astype(np.uint8)
    elif a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        raise UsageError(f"unsupported image dtype {a.dtype}; use uint8, uint16 or float in [0, 1]")
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = np.round(a[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 3:
        a = cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY)
    elif a.ndim == 3:
        a = a[..., 0]
    if min(a.shape) < 1:
        raise UsageError(f"empty image of shape {a.shape}")
    return np.ascontiguousarray(a)


__all__ = ["Cascade", "CascadeConfig", "Code", "to_grey"]
