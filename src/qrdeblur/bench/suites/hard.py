"""The ``hard`` suite: codes that break the rules, one cell per way, only mildly blurred.

Why: packaging is not a test chart. Labels print graphics right up to the code, finder patterns get
taped over or scuffed, glossy film throws highlights, bottles curve the code, and things cast shadows;
these, not blur, are where readers fail on real photos. Each item is one code (payload versions 1-5;
``finder`` and ``glare`` codes at ECC level H, in the smallest version that holds the payload) on a
textured surface, 3.5-6 px per module, any rotation, mild perspective (except ``cylinder``), then a
camera's mild optics (Gaussian blur, sigma 0.4-0.9 px), noise (std 0.005-0.015) and JPEG (80-95).

Cells (:data:`CELLS`, by index in turn, :data:`HARD_PER_CELL` items each):

- ``no-quiet``: quiet zone of 0-1 modules, dark graphics touching it on 2-4 sides or a frame line;
- ``finder``: one finder pattern 20-55 % covered by tape, scuffed or overprinted;
- ``inverted``: light modules on a dark label;
- ``mirrored``: the symbol printed mirror-wise (seen through the back of a film);
- ``glare``: a specular highlight saturating 5-30 % of the symbol's area;
- ``cylinder``: the label wrapped round a cylinder of radius 1-3 times the symbol's width, the code
  turned up to 35 degrees round it and the axis tilted up to 30 degrees towards the camera;
- ``shadow``: one or two hard shadows (an edge, a pole's band or a blob; light 25-55 % in the shadow,
  penumbra 0.2-1 module) over 20-80 % of the symbol.

Every item is readable in principle: :attr:`HardItem.seen` holds the modules a perfect reader would see
(glare saturating dark modules, finder damage reaching into the data), and zxing-cpp reads them to the
payload with the function patterns known (:func:`readable_in_principle`); a glare that
hides too much is shrunk until it does. Payloads are reserved
(:func:`qrdeblur.synth.reserved.hard_payload_specs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from qrdeblur.bench.scoring import scene_scorer
from qrdeblur.bench.suites.base import Suite, item_count
from qrdeblur.qrspec import function_mask, version_of
from qrdeblur.synth import degrade, hard_damage, kernels
from qrdeblur.synth.hard_print import Cylinder, make_label, modules_seen, warp_cylinder, warp_planar
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix
from qrdeblur.synth.reserved import HARD_RESERVED_COUNT, hard_payload_specs
from qrdeblur.synth.scene import camera_homography, surface, translate

HARD_SEED = 60_600
CELLS = ("no-quiet", "finder", "inverted", "mirrored", "glare", "cylinder", "shadow")
HARD_PER_CELL = 40
#: Cells whose codes are printed at ECC level H (their damage costs data modules).
STRONG_ECC_CELLS = ("finder", "glare")


@dataclass
class HardItem:
    """One code breaking one rule.

    Attributes:
        image: (H, W) uint8 grey photo.
        payloads: the code's payload (a list of one, as in every scene suite).
        cell: the rule broken (:data:`CELLS`).
        corners: the symbol's outline in the image (4 x 2 px: the printed square's top-left, top-right,
            bottom-right, bottom-left as laid out on the label; a mirrored code's own corners swap).
        version: the symbol's version.
        ecc: its error correction level.
        module_px: module pitch (px) at the symbol's centre, before perspective.
        symbol: (n, n) bool, the symbol as encoded (True = dark).
        seen: (n, n) bool, the symbol as a perfect reader sees it on the label (damage included).
        meta: the drawn parameters.
    """

    image: np.ndarray
    payloads: list[str]
    cell: str
    corners: np.ndarray
    version: int
    ecc: str
    module_px: float
    symbol: np.ndarray
    seen: np.ndarray
    meta: dict = field(default_factory=dict)


def readable_in_principle(seen: np.ndarray, truth: np.ndarray, payload: str) -> bool:
    """Whether the data in ``seen`` decodes to ``payload`` with the error correction, the function
    patterns taken as known (a reader that has located the code knows them; finder damage costs only
    the data modules it reaches). zxing-cpp reads a clean rendering of the result: the decoder is the
    oracle, not a count of errors."""
    mask = function_mask(version_of(truth.shape[0]))
    data = np.where(mask, truth, seen)
    image = np.kron(np.pad(~data, 4, constant_values=True), np.ones((4, 4), np.uint8)) * 255
    reads = zxingcpp.read_barcodes(
        image.astype(np.uint8),
        formats=zxingcpp.BarcodeFormat.QRCode,
        text_mode=zxingcpp.TextMode.Plain,
        try_rotate=False,
        try_invert=False,
        try_downscale=False,
        is_pure=True,
    )
    return any(r.text == payload for r in reads)


def _shadow_mask(rng: np.random.Generator, shape: tuple[int, int], corners: np.ndarray, module_px: float):
    """A shadow's hard mask (float32, 1 = in shadow) and its kind: an edge, a band or a blob."""
    h, w = shape
    centre = corners.mean(axis=0)
    side = float(np.linalg.norm(corners[1] - corners[0]))
    point = centre + rng.uniform(-0.3, 0.3, 2) * side
    angle = float(rng.uniform(0, np.pi))
    normal = np.array([-np.sin(angle), np.cos(angle)])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = (xx - point[0]) * normal[0] + (yy - point[1]) * normal[1]
    kind = str(rng.choice(["edge", "band", "blob"]))
    if kind == "edge":
        return (dist > 0).astype(np.float32), kind
    if kind == "band":
        return (np.abs(dist) < rng.uniform(1, 5) * module_px).astype(np.float32), kind
    k = int(rng.integers(5, 10))
    radius = side * rng.uniform(0.5, 1.0) * rng.uniform(0.7, 1.3, k)
    phi = np.sort(rng.uniform(0, 2 * np.pi, k))
    where = centre + normal * side * rng.uniform(0.3, 0.8)
    poly = where + np.stack([np.cos(phi), np.sin(phi)], 1) * radius[:, None]
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return mask.astype(np.float32), kind


def _shadows(rng: np.random.Generator, shape, corners: np.ndarray, module_px: float) -> tuple[np.ndarray, dict]:
    """Multiplicative light of one or two hard shadows over 20-80 % of the symbol."""
    code = np.zeros(shape, np.uint8)
    cv2.fillPoly(code, [np.round(corners * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    code = code.astype(bool)
    light = np.ones(shape, np.float32)
    kinds = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        for _ in range(30):  # redraw until the shadow crosses the symbol
            mask, kind = _shadow_mask(rng, shape, corners, module_px)
            if 0.2 <= mask[code].mean() <= 0.8:
                break
        ambient = float(rng.uniform(0.25, 0.55))
        penumbra = float(rng.uniform(0.2, 1.0) * module_px)
        mask = cv2.GaussianBlur(mask, (0, 0), penumbra)
        light *= 1 - (1 - ambient) * mask
        kinds.append({"kind": kind, "ambient": round(ambient, 3), "penumbra_px": round(penumbra, 2)})
    return light, {"shadows": kinds, "shadow_cover": round(float((light[code] < 0.9).mean()), 3)}


def _cylinder(rng: np.random.Generator, n: int, border: int, module_px: float) -> tuple[Cylinder, int, dict]:
    """A cylinder view of an ``n``-module symbol, centred in a square image of the returned side."""
    radius = float(rng.uniform(1, 3)) * n
    depth = n * float(rng.uniform(3, 8))
    cyl = Cylinder(
        radius,
        depth,
        float(rng.uniform(-0.6, 0.6)),
        float(rng.uniform(-0.5, 0.5)),
        float(rng.uniform(0, 2 * np.pi)),
        module_px * depth,
        (0.0, 0.0),
    )
    box = np.float64([[-border, -border], [n + border, -border], [n + border, n + border], [-border, n + border]])
    mid = cyl.project(np.float64([[n / 2, n / 2]]), n)[0]
    reach = np.abs(cyl.project(box, n) - mid).max()
    side = int(np.ceil(2 * reach * 1.1 + 48))
    cyl = Cylinder(
        *[getattr(cyl, f) for f in ("radius", "depth", "theta0", "pitch", "roll", "focal")],
        (side / 2 - mid[0], side / 2 - mid[1]),
    )
    view = {
        "radius_widths": round(radius / n, 3),
        "depth_widths": round(depth / n, 3),
        "turn_deg": round(float(np.degrees(cyl.theta0)), 2),
        "tilt_deg": round(float(np.degrees(cyl.pitch)), 2),
        "roll_deg": round(float(np.degrees(cyl.roll)), 2),
    }
    return cyl, side, view


def _symbol(spec: tuple[str, int, str], cell: str):
    payload, version, ecc = spec
    if cell in STRONG_ECC_CELLS:
        version, ecc = None, "H"
    symbol = make_symbol(QRSpec(payload, version, ecc))
    return module_matrix(symbol, 0), symbol.version, ecc


def hard_item(index: int, seed: int, spec: tuple[str, int, str]) -> HardItem:
    """Item ``index`` of the items drawn from ``seed``, holding the code ``spec`` ((payload, version, ECC));
    its cell is ``CELLS[index % len(CELLS)]``."""
    rng = np.random.default_rng([seed, index])
    cell = CELLS[index % len(CELLS)]
    payload = spec[0]
    matrix, version, ecc = _symbol(spec, cell)
    n = matrix.shape[0]
    module_px = float(rng.uniform(3.5, 6.0))
    dark, light = float(rng.uniform(0.03, 0.2)), float(rng.uniform(0.75, 0.95))
    quiet = float(rng.uniform(0, 1)) if cell == "no-quiet" else int(rng.integers(2, 5))
    border = 7 if cell == "no-quiet" else int(quiet) + int(rng.integers(1, 4))
    meta: dict = {"index": index, "module_px": round(module_px, 3), "quiet": quiet, "border": border}
    printed = np.fliplr(matrix) if cell == "mirrored" else matrix
    ink, paper = (light, dark) if cell == "inverted" else (dark, light)
    label = make_label(printed, border, ink, paper)
    seen = matrix
    if cell == "no-quiet":
        meta.update(hard_damage.touching_graphics(rng, label, quiet, float(rng.uniform(dark, dark + 0.1))))
    elif cell == "finder":
        clean = label.paper.copy()
        for _ in range(12):  # redraw damage that reaches more data than the error correction restores
            label.paper[:] = clean
            meta.update(hard_damage.damage_finder(rng, label, dark, light))
            seen = modules_seen(label, dark, light)
            if readable_in_principle(seen, matrix, payload):
                break
    elif cell == "glare":
        area = float(rng.uniform(*hard_damage.GLARE_AREA))
        for _ in range(12):  # shrink a highlight that hides more than the error correction restores
            meta.update(hard_damage.add_glare(rng, label, light, area))
            seen = modules_seen(label, dark, light)
            if readable_in_principle(seen, matrix, payload):
                break
            area *= 0.85
    if cell == "cylinder":
        cyl, side, view = _cylinder(rng, n, border, module_px)
        ground, _ = surface(rng, (side, side), module_px)
        towards = np.array([rng.uniform(-1, 1), rng.uniform(-1, 1), -1.0])
        tone, glare, alpha, body, shade = warp_cylinder(label, cyl, (side, side), towards / np.linalg.norm(towards))
        can = float(rng.uniform(0.2, 0.9))
        img = shade * (alpha * (tone + glare) + (body - alpha) * can) + (1 - body) * ground
        corners = cyl.project(np.float64([[0, 0], [n, 0], [n, n], [0, n]]), n)
    else:
        hom, view = camera_homography(rng, n, module_px, float(rng.uniform(0.0, 0.06)))
        side = int(np.ceil((n + 2 * border) * module_px * 1.45 + 48))
        to_image = translate(side / 2, side / 2) @ hom
        ground, _ = surface(rng, (side, side), module_px)
        tone, glare, alpha = warp_planar(label, to_image, (side, side))
        img = alpha * (tone + glare) + (1 - alpha) * ground
        corners = cv2.perspectiveTransform(
            np.float64([[0, 0], [n, 0], [n, n], [0, n]]).reshape(-1, 1, 2), to_image
        ).reshape(4, 2)
    if cell == "shadow":
        shade, params = _shadows(rng, (side, side), corners, module_px)
        img = img * shade
        meta.update(params)
    sigma = float(rng.uniform(0.4, 0.9))
    img = degrade.convolve(img.astype(np.float32), kernels.gaussian(sigma))
    img, noise = degrade.gaussian_noise(img, rng, float(rng.uniform(0.005, 0.015)))
    img, jpeg = degrade.jpeg(img, rng, quality=(80, 95))
    meta.update({**view, "optics_sigma": round(sigma, 3), **noise, **jpeg})
    return HardItem(degrade.to_uint8(img), [payload], cell, corners, version, ecc, module_px, matrix, seen, meta)


def hard_suite(per_cell: int = HARD_PER_CELL, seed: int = HARD_SEED) -> list[HardItem]:
    """The deterministic ``hard`` suite: ``per_cell`` items in each of :data:`CELLS`; item ``i`` depends
    only on (seed, i), so a smaller suite is a prefix of a larger one."""
    count = item_count("hard", per_cell, len(CELLS), HARD_RESERVED_COUNT, "items")
    specs = hard_payload_specs(count)
    return [hard_item(i, seed, specs[i]) for i in range(count)]


SUITE = Suite(
    "hard",
    "scene",
    hard_suite,
    scene_scorer(CELLS),
    f"{HARD_PER_CELL * len(CELLS)} codes breaking the rules: no quiet zone, damaged finder, inverted, "
    "mirrored, glare, on a cylinder, under hard shadows",
    uses_decoders=False,
)
