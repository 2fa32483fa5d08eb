"""The scan cascade, with zxing-cpp as the oracle: raw reads, deblur plumbing, corners, inputs."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

import qrdeblur.scan.grid_step as grid_step_mod
import qrdeblur.scan.scene as scene_mod
import qrdeblur.scan.steps as steps_mod
from qrdeblur.errors import UsageError
from qrdeblur.scan import Cascade, CascadeConfig, Code, Step, locate, scan
from qrdeblur.scan.scene import Scene
from qrdeblur.synth import kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def _scene(
    payload, module_px=5, angle=20.0, size=(1200, 1600), centre=(700, 500), seed=0, quiet=4, scramble=False
):
    """Grey textured scene with one code; returns (float scene, symbol corners TL, TR, BR, BL).

    ``scramble``: flip half the modules of the symbol's central block (away from the finder
    patterns, timing and format modules), so zxing-cpp still locates the code but cannot decode it.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    low = cv2.resize(rng.standard_normal((8, 10)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    scene = 0.55 + 0.06 * low + 0.02 * rng.standard_normal((h, w)).astype(np.float32)
    matrix = module_matrix(make_symbol(QRSpec(payload, None, "M")), quiet)
    if scramble:
        n = matrix.shape[0] - 2 * quiet
        block = (slice(quiet + 9, quiet + n - 9),) * 2
        flips = np.random.default_rng(99).random(matrix[block].shape) < 0.5
        matrix = matrix.copy()
        matrix[block] = np.where(flips, 1 - matrix[block], matrix[block])
    code = render_matrix(matrix, module_px=module_px, dark=0.1, light=0.92)
    side = code.shape[0]
    rot = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    rot[:, 2] += np.array(centre) - side / 2
    hom = np.vstack([rot, [0, 0, 1]])
    mask = cv2.warpPerspective(np.ones_like(code), hom, (w, h))
    warped = cv2.warpPerspective(code, hom, (w, h))
    scene = scene * (1 - mask) + warped * mask
    n = matrix.shape[0] - 2 * quiet
    sym = (
        np.float64([[quiet, quiet], [quiet + n, quiet], [quiet + n, quiet + n], [quiet, quiet + n]])
        * module_px
    )
    corners = cv2.perspectiveTransform(sym.reshape(-1, 1, 2), hom).reshape(4, 2)
    return scene.astype(np.float32), corners


def _u8(img):
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def _blur(img, psf):
    return cv2.filter2D(img, -1, psf[::-1, ::-1].astype(np.float32), borderType=cv2.BORDER_REPLICATE)


def _zxing_texts(grey):
    import zxingcpp

    return {r.text for r in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)}


def _assert_corners(code, truth, tol):
    got = np.asarray(code.corners)
    assert got.shape == (4, 2)
    # the same four points; zxing starts at the code's own top-left, as the truth does
    assert np.abs(got - truth).max() < tol, (got.round(1).tolist(), truth.round(1).tolist())


def test_clean_code_in_a_large_scene_is_read_raw_with_its_corners():
    scene, corners = _scene("https://example.com/parcel/123")
    codes = scan(_u8(scene), deblurrer=None)
    assert [(c.text, c.method, c.decoder) for c in codes] == [
        ("https://example.com/parcel/123", "raw", "zxing-cpp")
    ]
    _assert_corners(codes[0], corners, tol=3.0)


def test_a_low_contrast_code_is_read_by_the_contrast_pass_within_any_budget():
    # dark ink on dark film: 15 grey levels from the code's dark modules to the surround's light
    scene, corners = _scene("DARK-FILM-7", module_px=4, angle=15)
    grey = _u8(0.22 + (scene - 0.1) * (0.06 / 0.82))
    assert int(grey.max()) - int(grey.min()) < 20
    assert "DARK-FILM-7" not in _zxing_texts(grey)  # zxing-cpp's binarizer sees flat blocks
    codes = scan(grey, deblurrer=None, budget_ms=0)
    assert [(c.text, c.method) for c in codes] == [("DARK-FILM-7", "contrast")]
    _assert_corners(codes[0], corners, tol=3.0)
    assert scan(grey, deblurrer=None, budget_ms=0, config=CascadeConfig(contrast_clip=0)) == []


def test_input_layouts_give_the_same_result():
    scene, _ = _scene("LAYOUT-42", module_px=4, angle=-30)
    grey = _u8(scene)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    rgba = np.concatenate([rgb, np.full_like(grey[..., None], 255)], axis=2)
    wide = grey.astype(np.uint16) * 257
    for img in (grey, rgb, rgba, wide):
        assert [c.text for c in scan(img, deblurrer=None, budget_ms=0)] == ["LAYOUT-42"]


def test_bad_arrays_and_budgets_are_usage_errors():
    with pytest.raises(UsageError, match="shape"):
        scan(np.zeros((50, 50, 2), np.uint8), deblurrer=None)
    with pytest.raises(UsageError, match="dtype"):
        scan(np.zeros((50, 50), np.int64), deblurrer=None)
    with pytest.raises(UsageError, match="budget"):
        scan(np.zeros((50, 50), np.uint8), deblurrer=None, budget_ms=-1)


class _Oracle:
    """A stand-in generator that returns the sharp scene seen through the crop's own homography.

    It tests the plumbing around the model (locate, rectify, deblur, decode, map corners back)
    independently of how good the model is.
    """

    def __init__(self, sharp, rects):
        self.sharp, self.rects, self.calls = sharp, rects, 0

    def deblur(self, crop):
        self.calls += 1
        rect = self.rects.get(id(crop))
        if rect is None:
            return crop
        h, w = crop.shape
        return cv2.warpPerspective(self.sharp, np.linalg.inv(rect.to_image), (w, h), flags=cv2.INTER_LINEAR)


@pytest.fixture
def spy_rectify(monkeypatch):
    rects = {}
    real = scene_mod.rectify

    def spy(grey, quad, side, margin):
        r = real(grey, quad, side, margin)
        rects[id(r.image)] = r
        return r

    def spy_stretch(grey, *args, **kwargs):
        out = real_stretch(grey, *args, **kwargs)
        if id(grey) in rects:  # the stretched crop is seen through the same homography
            rects[id(out)] = rects[id(grey)]
        return out

    real_stretch = steps_mod.stretch_contrast
    monkeypatch.setattr(scene_mod, "rectify", spy)
    monkeypatch.setattr(steps_mod, "stretch_contrast", spy_stretch)
    return rects


def test_blurred_code_zxing_misses_is_read_through_the_deblur_step(spy_rectify):
    scene, corners = _scene("DEBLUR-ME-77", module_px=4, angle=35, centre=(900, 600))
    blurred = _u8(_blur(scene, kernels.compose(kernels.motion(21, 30), kernels.gaussian(1.5))))
    assert _zxing_texts(blurred) == set()  # precondition: plain decoding fails
    oracle = _Oracle(_u8(scene), spy_rectify)
    codes = scan(blurred, deblurrer=oracle, config=CascadeConfig(alt_steps=()))
    assert [c.text for c in codes] == ["DEBLUR-ME-77"]
    assert codes[0].method == "deblur" and oracle.calls >= 1
    _assert_corners(codes[0], corners, tol=4.0)


def test_raw_reads_are_kept_whatever_the_budget(spy_rectify):
    scene, _ = _scene("RAW-ONE", module_px=5, angle=10, centre=(400, 400))
    other, _ = _scene("BLURRED-TWO", module_px=4, angle=50, centre=(1150, 750), seed=1)
    blurred_other = _blur(other, kernels.motion(21, 120))
    combined = scene.copy()
    combined[500:, 850:] = blurred_other[500:, 850:]
    img = _u8(combined)
    assert _zxing_texts(img) == {"RAW-ONE"}
    none = scan(img, deblurrer=None, budget_ms=0)
    assert [(c.text, c.method) for c in none] == [("RAW-ONE", "raw")]
    sharp = scene.copy()
    sharp[500:, 850:] = other[500:, 850:]
    oracle = _Oracle(_u8(sharp), spy_rectify)
    both = scan(
        img, deblurrer=oracle, budget_ms=5000, config=CascadeConfig(followup_ms=5000, followup_min_score=0.0)
    )
    assert sorted((c.text, c.method) for c in both) == [("BLURRED-TWO", "deblur"), ("RAW-ONE", "raw")]


class _OracleWithBlur(_Oracle):
    """The oracle generator with a blur estimator that reports ``length`` crop px of motion."""

    def __init__(self, sharp, rects, length):
        super().__init__(sharp, rects)
        self.length, self.estimated = length, 0

    def estimate_blur(self, crop):
        self.estimated += 1
        return (self.length, 0.0, 0.3)


def test_a_blurred_raw_read_extends_the_follow_up(spy_rectify):
    scene, _ = _scene("RAW-ONE", module_px=5, angle=10, centre=(400, 400))
    other, _ = _scene("BLURRED-TWO", module_px=4, angle=50, centre=(1150, 750), seed=1)
    img = scene.copy()
    img[500:, 850:] = _blur(other, kernels.motion(21, 120))[500:, 850:]
    sharp = scene.copy()
    sharp[500:, 850:] = other[500:, 850:]
    # the plain follow-up tries no texture candidate, the blurred one every one
    config = CascadeConfig(
        followup_ms=5000, followup_min_score=1.1, followup_blurred_ms=5000, followup_blurred_min_score=0.0
    )
    # the code read raw looks sharp (1 crop px at 3 px per module: under 2 image px): plain follow-up
    calm = _OracleWithBlur(_u8(sharp), spy_rectify, 0.25)
    codes = scan(_u8(img), deblurrer=calm, budget_ms=5000, config=config)
    assert [(c.text, c.method) for c in codes] == [("RAW-ONE", "raw")] and calm.estimated == 1
    # blurred over 6 crop px (10 image px): the other code is looked for, and read
    shaken = _OracleWithBlur(_u8(sharp), spy_rectify, 6.0)
    codes = scan(_u8(img), deblurrer=shaken, budget_ms=5000, config=config)
    assert sorted((c.text, c.method) for c in codes) == [("BLURRED-TWO", "deblur"), ("RAW-ONE", "raw")]
    # no estimator: the plain follow-up
    codes = scan(_u8(img), deblurrer=_Oracle(_u8(sharp), spy_rectify), budget_ms=5000, config=config)
    assert [c.text for c in codes] == ["RAW-ONE"]


def test_each_code_is_reported_once_even_when_candidates_overlap(spy_rectify):
    scene, _ = _scene("ONCE-ONLY", module_px=6, angle=0)
    img = _u8(scene)
    oracle = _Oracle(img, spy_rectify)  # every candidate crop decodes the same code again
    codes = scan(
        img, deblurrer=oracle, budget_ms=5000, config=CascadeConfig(followup_ms=5000, followup_min_score=0.0)
    )
    assert [c.text for c in codes] == ["ONCE-ONLY"]


def test_non_utf8_payload_is_reported_with_base64_bytes():
    import base64

    raw = b"\xff\xfe\x00\x81QR"
    matrix = module_matrix(make_symbol(QRSpec(raw, None, "M")), 4)
    img = _u8(render_matrix(matrix, module_px=6))
    codes = scan(img, deblurrer=None, budget_ms=0)
    assert len(codes) == 1
    assert base64.b64decode(codes[0].bytes_b64) == raw
    d = codes[0].to_dict()
    assert set(d) == {"text", "corners", "method", "decoder", "bytes_b64"}
    assert Code("a", [[0, 0]] * 4, "raw").to_dict().keys() == {"text", "corners", "method", "decoder"}


def test_scan_never_imports_torch(tmp_path):
    scene, _ = _scene("NO-TORCH", module_px=5, size=(400, 500), centre=(250, 200))
    path = tmp_path / "s.png"
    cv2.imwrite(str(path), _u8(scene))
    code = (
        "import sys; import qrdeblur; import qrdeblur.scan as s; "
        f"codes = s.scan({str(path)!r}); "
        "assert [c.text for c in codes] == ['NO-TORCH'], codes; "
        f"assert [c.text for c in qrdeblur.scan({str(path)!r})] == ['NO-TORCH']; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_generator_sees_the_stretched_crop():
    """The main pass hands the generator a full-range crop, even of a low-contrast code."""
    scene, _ = _scene("GREY-LABEL-5", module_px=4, angle=15, centre=(600, 500))
    dull = 0.45 + 0.2 * scene  # dark 0.47, light 0.63: a grey label in dim light
    blurred = _u8(_blur(dull, kernels.compose(kernels.motion(21, 30), kernels.gaussian(1.5))))
    seen = []

    class Recorder:
        def deblur(self, crop):
            seen.append(np.percentile(crop, (1, 99)))
            return crop

    scan(blurred, deblurrer=Recorder(), config=CascadeConfig(alt_steps=()))
    assert seen, "the generator was never called"
    lo, hi = np.asarray(seen).T
    assert np.all(lo <= 5) and np.all(hi >= 250)
    assert np.percentile(blurred, 99) - np.percentile(blurred, 1) < 80  # precondition: a dull photo


class _Inventor:
    """A generator that ignores its input and draws a small, valid code in the crop's corner."""

    def __init__(self, payload="40844"):
        matrix = module_matrix(make_symbol(QRSpec(payload, 1, "L")), 2)
        self.code = _u8(render_matrix(matrix, module_px=2))
        self.calls = 0

    def deblur(self, crop):
        self.calls += 1
        out = np.full_like(crop, 255)
        h, w = self.code.shape
        out[:h, :w] = self.code[: crop.shape[0], : crop.shape[1]]
        return out


def test_a_small_code_drawn_by_the_generator_inside_a_candidate_is_not_reported():
    """Session 7: a generator drew a version-1 code a quarter of its candidate's width out of clutter."""
    scene, _ = _scene("REAL-CODE-1", module_px=4, angle=35, centre=(900, 600))
    blurred = _u8(_blur(scene, kernels.compose(kernels.motion(21, 30), kernels.gaussian(1.5))))
    assert _zxing_texts(blurred) == set()  # precondition: plain decoding fails
    inventor = _Inventor()
    assert _zxing_texts(inventor.deblur(np.zeros((200, 200), np.uint8))) == {"40844"}  # it does draw a code
    config = CascadeConfig(alt_steps=())
    assert scan(blurred, deblurrer=inventor, config=config, budget_ms=60_000) == []
    assert inventor.calls >= 1
    trusting = CascadeConfig(alt_steps=(), min_deblurred_fraction=0.0)
    assert "40844" in [c.text for c in scan(blurred, deblurrer=_Inventor(), config=trusting, budget_ms=60_000)]


class _Framing:
    """A stand-in generator that restores the code only when the crop frames it as a detector would.

    Crops whose square is the symbol's own outline (every corner within ``tol`` px) get the sharp
    scene; others (a texture box around the blur halo) get the scene with the code's data scrambled,
    which zxing-cpp locates but cannot decode, as it often does with a real restoration of a
    loosely framed crop.
    """

    def __init__(self, sharp, scrambled, corners, rects, tol=3.0):
        self.sharp, self.scrambled, self.corners, self.rects, self.tol = sharp, scrambled, corners, rects, tol
        self.framings: list[bool] = []

    def deblur(self, crop):
        rect = self.rects.get(id(crop))
        if rect is None:
            return crop
        m, s = rect.margin, rect.side
        square = np.asarray(rect.points_to_image([[m, m], [m + s, m], [m + s, m + s], [m, m + s]]))
        exact = all(np.linalg.norm(square - c, axis=1).min() < self.tol for c in self.corners)
        self.framings.append(exact)
        h, w = crop.shape
        view = self.sharp if exact else self.scrambled
        return cv2.warpPerspective(view, np.linalg.inv(rect.to_image), (w, h), flags=cv2.INTER_LINEAR)


def test_a_code_located_in_a_restored_texture_crop_is_retried_on_its_own_outline(spy_rectify):
    payload = "https://example.com/reframe/me?id=0123456789abcdef"  # version 4 at M: a 15x15 block to scramble
    scene, corners = _scene(payload, module_px=4, angle=35, centre=(900, 600))
    scrambled, _ = _scene(payload, module_px=4, angle=35, centre=(900, 600), scramble=True)
    blurred = _u8(_blur(scene, kernels.compose(kernels.motion(21, 30), kernels.gaussian(1.5))))
    assert _zxing_texts(blurred) == set()  # precondition: plain decoding fails
    assert _zxing_texts(_u8(scrambled)) == set()  # ... and so does the scrambled code
    config = CascadeConfig(alt_steps=())
    framing = _Framing(_u8(scene), _u8(scrambled), corners, spy_rectify)
    codes = scan(blurred, deblurrer=framing, config=config, budget_ms=60_000)
    assert [(c.text, c.method) for c in codes] == [(payload, "deblur")]
    assert framing.framings[0] is False and framing.framings[-1] is True  # texture box first, outline after
    _assert_corners(codes[0], corners, tol=4.0)
    without = _Framing(_u8(scene), _u8(scrambled), corners, spy_rectify)
    off = CascadeConfig(alt_steps=(), refine=False)
    assert scan(blurred, deblurrer=without, config=off, budget_ms=60_000) == []
    assert without.framings and not any(without.framings)


def test_an_outline_located_by_an_alternative_step_is_tried_too(spy_rectify):
    payload = "https://example.com/reframe/alt?id=0123456789abcdef"
    scene, corners = _scene(payload, module_px=4, angle=-25, centre=(800, 650))
    scrambled, _ = _scene(payload, module_px=4, angle=-25, centre=(800, 650), scramble=True)
    blurred = _u8(_blur(scene, kernels.compose(kernels.motion(21, 60), kernels.gaussian(1.5))))
    assert _zxing_texts(blurred) == set()
    # the main pass only decodes the rectified crop; the generator runs in the alternative step
    steps = {
        "main_steps": (Step("rectify", "none"),),
        "alt_steps": (Step("deblur-rescale", "deblur", "native", 1.0, stretch=True),),
    }
    framing = _Framing(_u8(scene), _u8(scrambled), corners, spy_rectify)
    codes = scan(blurred, deblurrer=framing, config=CascadeConfig(**steps), budget_ms=60_000)
    assert [(c.text, c.method) for c in codes] == [(payload, "deblur-rescale")]
    assert framing.framings[0] is False and framing.framings[-1] is True
    off = _Framing(_u8(scene), _u8(scrambled), corners, spy_rectify)
    assert scan(blurred, deblurrer=off, config=CascadeConfig(refine=False, **steps), budget_ms=60_000) == []


def _attempt(cascade, grey, cand, step, time_left):
    """Run one step of ``cascade`` on one candidate of ``grey``; the codes it read."""
    scene = Scene(grey, cascade.config, cascade.deblurrer)
    cascade.attempt(scene, cand, step, time_left)
    return scene.codes


class _BlurOnly:
    """A stand-in generator that restores nothing (returns the crop) but estimates the blur exactly, as
    a crop of the code's outline sees it: the grid step's plumbing without a model's quality.

    The cascade asks for the blur in crops of side ``s`` with margins ``round(0.15 s) + 4``; the code
    (``n_modules`` across) fills ``s``, so the blur spans ``length_modules * s / n_modules`` px.
    """

    def __init__(self, length_modules, angle, n_modules=21):
        self.length_modules, self.angle, self.n_modules = length_modules, angle, n_modules

    def deblur(self, crop):
        return crop

    def estimate_blur(self, crop):
        side = (crop.shape[0] - 8) / 1.3
        return (self.length_modules * side / self.n_modules, self.angle, 0.3)


def _motion_scene(payload, length_modules, module_px, angle=30.0):
    scene, corners = _scene(payload, module_px=module_px, angle=0.0, size=(600, 800), centre=(400, 300))
    img = _blur(scene, kernels.motion(length_modules * module_px, angle))
    img = img + np.random.default_rng(1).normal(0, 0.01, scene.shape).astype(np.float32)
    return _u8(img), corners


def test_grid_step_on_a_detector_outline_a_third_of_a_module_off():
    grey, corners = _motion_scene("GRID-STEP-3.5", 3.5, 5)
    quad = corners + np.random.default_rng(3).normal(0, 0.3 * 5, corners.shape)
    cand = locate.Candidate(quad, "zxing", 1.0, True)
    step = Step("grid", "grid")
    codes = _attempt(Cascade(_BlurOnly(3.5, 30.0)), grey, cand, step, 5000.0)
    assert [(c.text, c.method) for c in codes] == [("GRID-STEP-3.5", "grid")]
    # not for a texture box (its outline is the blur halo's), nor without a blur estimate, nor in no time
    for args in ((_BlurOnly(3.5, 30.0), locate.Candidate(quad, "texture", 1.0, False), 5000.0),
                 (_Oracle(grey, {}), cand, 5000.0), (_BlurOnly(3.5, 30.0), cand, 100.0)):
        assert _attempt(Cascade(args[0]), grey, args[1], step, args[2]) == []


def test_grid_step_refits_a_wrong_blur_estimate_to_the_modules():
    grey, corners = _motion_scene("GRID-REFIT-4", 4.0, 5)
    quad = corners + np.random.default_rng(3).normal(0, 0.3 * 5, corners.shape)
    cand = locate.Candidate(quad, "zxing", 1.0, True)
    step = Step("grid", "grid")
    wrong = _BlurOnly(0.7 * 4.0, 42.0)  # a blur estimate 30 % short and 12 degrees off
    codes = _attempt(Cascade(wrong), grey, cand, step, 5000.0)
    assert [(c.text, c.method) for c in codes] == [("GRID-REFIT-4", "grid")]
    # the estimate and the nearby blurs alone do not read it
    assert _attempt(Cascade(wrong, CascadeConfig(grid_refits=0)), grey, cand, step, 5000.0) == []


def test_the_detectors_outlines_get_their_cheap_steps_before_any_grid_step():
    # two codes zxing-cpp locates and cannot decode: both get rectify, sharpen, finder-pair, unwrap and deblur
    # before the grid step spends its ~100 ms on either
    a, _ = _scene("ORDER-A-" + "7" * 60, module_px=4, angle=0.0, size=(700, 1200), centre=(330, 350), scramble=True)
    b, _ = _scene("ORDER-B-" + "8" * 60, module_px=4, angle=0.0, size=(700, 1200), centre=(870, 350), scramble=True)
    both = b.copy()
    both[:, :600] = a[:, :600]  # the same background (same seed), code A on the left, B on the right
    grey = _u8(both)
    order = []
    scan(grey, deblurrer=_BlurOnly(1.0, 0.0), budget_ms=5000, observer=order.append)
    detected = [a.step.restore for a in order if a.candidate is not None and a.candidate.source == "zxing"]
    first_grid = detected.index("grid")
    n = first_grid // 6  # detections kept: zxing-cpp reports 16, mostly repeats and parts of the two
    assert 2 <= n <= 4
    assert detected[:first_grid] == ["none", "sharpen", "finder-pair", "unwrap", "deblur", "deblur"] * n
    assert detected[first_grid : first_grid + n + 1] == ["grid"] * n + ["deblur"]  # then the alternatives


def test_the_grid_step_stops_after_grid_max_ms_on_one_outline(monkeypatch):
    # an outline that fits but whose blur is wrong: the step tries the estimate's refits and then the
    # nearby blurs; capped, it gives the rest of the budget back to the photo's other candidates
    grey, corners = _motion_scene("GRID-CAP-4", 4.0, 5)
    cand = locate.Candidate(corners, "zxing", 1.0, True)
    step = Step("grid", "grid")
    solves = []
    real = grid_step_mod.solve_codes

    def counting(*args, **kwargs):
        for sol in real(*args, **kwargs):
            solves.append(1)
            yield sol

    monkeypatch.setattr(grid_step_mod, "solve_codes", counting)
    wrong = _BlurOnly(0.7 * 4.0, 42.0)  # without refits nothing reads (see above): every nearby blur is tried
    uncapped = CascadeConfig(grid_refits=0, grid_variant_correlation=0.0, grid_max_ms=float("inf"))
    assert _attempt(Cascade(wrong, uncapped), grey, cand, step, 6e4) == [] and len(solves) > 3
    solves.clear()
    capped = CascadeConfig(grid_refits=0, grid_variant_correlation=0.0, grid_max_ms=0.0)
    assert _attempt(Cascade(wrong, capped), grey, cand, step, 6e4) == [] and solves == []


def test_each_place_a_restored_crop_locates_is_tried_once(spy_rectify):
    # zxing-cpp reports a code it cannot decode once per try: the cascade keeps one outline per place
    payload = "https://example.com/reframe/once?id=0123456789abcdef"
    scene, corners = _scene(payload, module_px=4, angle=35, centre=(900, 600))
    scrambled, _ = _scene(payload, module_px=4, angle=35, centre=(900, 600), scramble=True)
    blurred = _u8(_blur(scene, kernels.compose(kernels.motion(21, 30), kernels.gaussian(1.5))))
    tried = []

    def spy(attempt):
        if attempt.candidate is not None and attempt.candidate.source == "refined" and attempt.step.restore == "none":
            tried.append(np.asarray(attempt.candidate.quad).mean(axis=0))

    config = CascadeConfig(alt_steps=(), grid_versions=0)
    never_sharp = _Framing(_u8(scrambled), _u8(scrambled), corners, spy_rectify)  # located, never decoded
    assert scan(blurred, deblurrer=never_sharp, config=config, budget_ms=60_000, observer=spy) == []
    assert len(tried) == 1
    assert np.linalg.norm(tried[0] - corners.mean(axis=0)) < 8


def test_an_unknown_effort_is_a_usage_error():
    with pytest.raises(UsageError, match="effort"):
        scan(np.zeros((64, 64), np.uint8), deblurrer=None, effort="max")


def test_high_effort_reads_a_shaken_code_the_normal_scan_cannot():
    from qrdeblur.bench.suites.shake import shake_suite

    item = shake_suite(1)[2]  # camera shake over 4-6 module widths
    assert item.cell == "4-6"
    payload = item.payloads[0]
    attempts = []
    # budgets far above what either needs, so the result does not depend on the machine's speed
    assert payload not in {c.text for c in scan(item.image, budget_ms=60_000)}
    codes = scan(item.image, effort="high", budget_ms=120_000, observer=attempts.append)
    assert [(c.text, c.method) for c in codes] == [(payload, "kernel-search")]
    assert any(a.step.method == "kernel-search" for a in attempts)
