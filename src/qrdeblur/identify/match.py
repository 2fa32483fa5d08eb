"""Identify one candidate region among the known codes: :func:`identify`.

A code blurred past decoding still shows, at the scale of a few modules, where its dark and light
modules lie. Given the list of codes that may be there, each is rendered on the candidate's module grid
and the question becomes which one, blurred by some kernel, explains the observation:

1. **place**: the candidate region is resampled to a small working frame; the code's outline (centre,
   side, angle) is searched around the region's own by correlating the observation with each listed
   version's mean code (finder patterns, timing, a light quiet zone; the data averages to grey),
   slightly blurred, in its four rotations;
2. **shortlist**: at the best place per version (and two nearby scales), the observation sampled once
   per module, softened, is correlated with every listed code of that version in all four rotations
   at once (one matrix product: 10,000 codes in a few milliseconds);
3. **fit**: for each shortlisted code, the non-negative blur kernel that best turns it into the
   observation is fitted over the samples whose blur stays inside the code and its light quiet zone
   (:func:`~qrdeblur.restore.blind_kernel.nonneg_kernel_fit`); the score is the share of the
   observation's variance it explains. The true code is explained almost entirely; a wrong one only as
   far as any code of its version would be;
4. **refuse** unless the best code is clearly ahead: its score at least ``min_score``, and what it
   leaves unexplained at most ``max_residual_ratio`` of what the runner-up leaves. The runner-up is the
   better of the next listed code and a few decoys (codes of the same version in no list), so a list of
   one code is refused as readily as a long one, and a code absent from the list comes back
   unidentified.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import cv2
import numpy as np

from qrdeblur.geometry import quad_side
from qrdeblur.identify.catalog import KnownCodes, VersionTable
from qrdeblur.restore.blind_kernel import nonneg_kernel_fit


@dataclass(frozen=True)
class MatchConfig:
    """Knobs of :func:`identify` (measured on draws outside the ``known`` suite's seed).

    Attributes:
        frame: the candidate outline's side in the working frame (px).
        ring: quiet-zone modules assumed light around the code (the standard asks for 4; labels often
            keep 2).
        kernel_modules: the fitted kernel's side (modules): blur and misplacement together.
        scales: code side / region side tried when placing (a blurred region is larger than its code).
        angles: angle offsets (degrees) from the region's own tried when placing.
        sigmas: softening (modules) of the mean code when placing and of the observation when shortlisting.
        jitter: scale factors around the best place tried when shortlisting and fitting (placing
            overrates a heavily blurred code's size).
        jitter_angles: angle offsets (degrees) around the best place tried likewise.
        shortlist: codes (with their rotation and scale) fitted.
        place_codes: the leading codes whose fits choose the outline's scale and angle.
        place_iters: iterations of those fits.
        polish_rounds: rounds of polishing the outline (centre, scale, angle) on the leading code's fit.
        iters: iterations of each kernel fit.
        min_score: the smallest explained share accepted.
        max_residual_ratio: the largest unexplained share, relative to the runner-up's, accepted.
    """

    frame: int = 112
    ring: int = 2
    kernel_modules: int = 13
    scales: tuple[float, ...] = tuple(np.round(np.linspace(0.58, 1.1, 14), 3))
    angles: tuple[float, ...] = (-3.0, -1.5, 0.0, 1.5, 3.0, 15.0, 30.0, 45.0, 60.0, 75.0)
    sigmas: tuple[float, ...] = (1.5, 3.0, 4.5)
    jitter: tuple[float, ...] = (0.82, 0.88, 0.94, 1.0, 1.06)
    jitter_angles: tuple[float, ...] = (-2.0, 0.0, 2.0)
    shortlist: int = 10
    place_codes: int = 2
    place_iters: int = 60
    polish_rounds: int = 4
    iters: int = 100
    min_score: float = 0.6
    max_residual_ratio: float = 0.5


@dataclass
class Match:
    """A code identified among the known ones.

    Attributes:
        text: the payload.
        index: its position in the list.
        corners: the outline found (input-image px, the code's own top-left first; the blur's offset
            is not removed, so it is approximate).
        score: the share of the observation's variance the code explains.
        runner_up: the same for the runner-up (the next listed code or a decoy).
        version: the code's version.
    """

    text: str
    index: int
    corners: list[list[float]]
    score: float
    runner_up: float
    version: int

    @property
    def margin(self) -> float:
        """How far ahead of the runner-up (score difference)."""
        return self.score - self.runner_up


@dataclass
class _Place:
    centre: np.ndarray  # frame px
    side: float  # frame px
    angle: float  # radians
    sigma: float
    score: float


def _angle(quad: np.ndarray) -> float:
    """The outline's edge direction modulo 90 degrees (radians)."""
    d = np.roll(quad, -1, axis=0) - quad
    a = np.arctan2(d[:, 1], d[:, 0])
    return float(np.angle(np.mean(np.exp(4j * a))) / 4)


def _module_to_frame(centre, side: float, angle: float, n: int) -> np.ndarray:
    m = side / n
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * m
    h = np.eye(3)
    h[:2, :2] = rot
    h[:2, 2] = np.asarray(centre) - rot @ np.array([n / 2, n / 2])
    return h


def _sample(frame: np.ndarray, place_h: np.ndarray, n: int, ring: int) -> np.ndarray:
    """The frame sampled at the module centres of an ``n``-module code and ``ring`` modules around it."""
    a = np.array([[1.0, 0, 0.5 - ring], [0, 1.0, 0.5 - ring], [0, 0, 1]])
    side = n + 2 * ring
    return cv2.warpPerspective(
        frame, place_h @ a, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def _working_frame(grey: np.ndarray, quad: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The region around ``quad`` as darkness (1 = black) at ``size`` px per outline side; the quad in it,
    and the affine map frame -> image."""
    side = max(quad_side(quad), 4.0)
    scale = size / side
    centre = quad.mean(axis=0)
    half = 0.5 * side * 1.9  # the region: the outline's box and the blur and quiet zone around it
    out = int(round(2 * half * scale))
    to_image = np.array([[1 / scale, 0, centre[0] - half], [0, 1 / scale, centre[1] - half]])
    g = np.asarray(grey, dtype=np.float32) / 255.0
    if scale < 1:  # area-average before sampling (a camera's pixels, not points)
        g = cv2.GaussianBlur(g, (0, 0), 0.45 / scale)
    frame = cv2.warpAffine(
        g, to_image, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    return 1.0 - frame, (quad - (centre - half)) * scale, to_image


def _unit_columns(arrays) -> np.ndarray:
    """Each array flattened, its mean removed, scaled to unit length: the columns of one matrix."""
    m = np.stack([np.asarray(a, dtype=np.float32).ravel() for a in arrays], axis=1)
    m = m - m.mean(axis=0, keepdims=True)
    return m / (np.linalg.norm(m, axis=0, keepdims=True) + 1e-9)


def _place(frame: np.ndarray, quad: np.ndarray, table: VersionTable, cfg: MatchConfig) -> _Place:
    """The outline that best fits the version's mean code, searched around ``quad`` (frame px)."""
    n, ring = table.n, cfg.ring
    mean = np.pad(table.dark.mean(axis=0).astype(np.float32), ring)
    sig = [s for s in cfg.sigmas for _ in range(4)]
    templates = _unit_columns(np.rot90(cv2.GaussianBlur(mean, (0, 0), s), k) for s in cfg.sigmas for k in range(4))
    base, side0, centre = _angle(quad), quad_side(quad), quad.mean(axis=0)
    poses = [(f, base + np.radians(da)) for f in cfg.scales for da in cfg.angles]
    obs = _unit_columns(_sample(frame, _module_to_frame(centre, f * side0, a, n), n, ring) for f, a in poses)
    scores = obs.T @ templates
    p, t = divmod(int(np.argmax(scores)), scores.shape[1])
    return _Place(centre, poses[p][0] * side0, poses[p][1], sig[t], float(scores[p, t]))


def kernel_side(picture: int, largest: int) -> int:
    """The fitted kernel's side (odd, modules) for a picture of ``picture`` modules a side: at most
    ``largest``, and small enough that the samples the fit scores (where the whole kernel lies inside
    the picture) are at least 4 times its weights. Otherwise a small code's kernel has about as many
    weights as there are samples and explains any texture: a version-1 code with a 13-module kernel
    explained 0.90 of a patch of background, 0.38 of what the runner-up left (``known`` suite)."""
    side = min(largest, (picture + 1) // 3)
    return max(1, side - (1 - side % 2))


def _rot_point(x: float, y: float, n: int, k: int) -> tuple[float, float]:
    """Where np.rot90(matrix, k) puts the matrix point (x, y) (module units)."""
    for _ in range(k % 4):
        x, y = y, n - x
    return x, y


def _shortlist(frame, fquad, known: KnownCodes, cfg: MatchConfig, late=lambda: False) -> list | None:
    """(prefilter score, version, row, place, rotation) of the codes most like the observation, best first,
    every code at its best place; None when ``late()`` turns true."""
    ring = cfg.ring
    entries = []
    for v, table in known.tables.items():
        if late():
            return None
        place = _place(frame, fquad, table, cfg)
        n = table.n
        kernel = cv2.getGaussianKernel(int(6 * place.sigma) | 1, place.sigma)
        kernel = (kernel @ kernel.T).astype(np.float32)
        views, hs = [], []
        for j in cfg.jitter:
            for da in cfg.jitter_angles:
                outline = (place.centre, place.side * j, place.angle + np.radians(da))
                h = _module_to_frame(*outline, n)
                # softened as the place's template was (a blurred code is compared with codes, not pixels)
                obs = cv2.filter2D(_sample(frame, h, n, ring), -1, kernel, borderType=cv2.BORDER_REPLICATE)
                obs = obs[ring : ring + n, ring : ring + n]
                for k in range(4):
                    views.append(np.rot90(obs, -k))
                    hs.append((outline, k, (place.centre, place.side, place.angle)))
        cols = _unit_columns(views)
        codes = table.centred()
        scores = (codes @ cols) / (np.linalg.norm(codes, axis=1, keepdims=True) + 1e-9)
        best_col = np.argmax(scores, axis=1)  # each code at its best place and rotation
        best = scores[np.arange(len(scores)), best_col]
        for row in np.argsort(best)[::-1][: cfg.shortlist]:
            entries.append((float(best[row]), v, int(row), *hs[int(best_col[row])]))
    entries.sort(key=lambda e: -e[0])
    return entries


def correlation_rank(grey: np.ndarray, quad, known: KnownCodes, text: str, config: MatchConfig | None = None):
    """Where the listed code ``text`` ranks (0 = first) among all listed codes by the softened correlation
    that picks the codes :func:`identify` fits (its ``shortlist`` best); None when not listed. For
    diagnostics (``research/known_ceilings.py``)."""
    cfg = config or MatchConfig()
    frame, fquad, _ = _working_frame(grey, np.asarray(quad, dtype=np.float64).reshape(4, 2), cfg.frame)
    wide = dataclasses.replace(cfg, shortlist=len(known))
    entries = _shortlist(frame, fquad, known, wide) or []
    return next((k for k, e in enumerate(entries) if known.payloads[known.tables[e[1]].index[e[2]]] == text), None)


def identify(
    grey: np.ndarray,
    quad,
    known: KnownCodes,
    config: MatchConfig | None = None,
    deadline: float | None = None,
) -> Match | None:
    """The known code in the region ``quad`` of ``grey`` ((H, W) uint8), or None when none is clearly
    ahead (or the ``deadline``, a ``time.perf_counter()`` value, passes first: no half-made choice).

    ``quad``: 4 (x, y) corners around the code (a located outline, or a blurred region's outline)."""
    cfg = config or MatchConfig()
    quad = np.asarray(quad, dtype=np.float64).reshape(4, 2)

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    frame, fquad, to_image = _working_frame(grey, quad, cfg.frame)
    ring = cfg.ring
    entries = _shortlist(frame, fquad, known, cfg, late)
    if entries is None:
        return None
    chosen = entries[: cfg.shortlist]
    if not chosen:
        return None

    def fit(jobs: list, iters: int) -> np.ndarray:
        """Explained shares of ``jobs`` ((table, row, outline, rotation), one version), fitted together."""
        n = jobs[0][0].n
        latents = np.stack([np.pad(np.rot90(t.dark[row], k).astype(np.float32), ring) for t, row, _, k in jobs])
        obs = np.stack([_sample(frame, _module_to_frame(*o, n), n, ring) for _, _, o, _ in jobs])
        side = kernel_side(n + 2 * ring, cfg.kernel_modules)
        return nonneg_kernel_fit(latents, obs, side, ridge=1e-3, iters=iters)[1]

    # the outline: the scale and angle at which the leading codes fit best (softened correlation is
    # too tolerant of scale to place the code for the fit)
    best_fit = (-np.inf, None, None)
    for entry in chosen[: cfg.place_codes]:
        _, v, row, _, k, (centre, side, angle) = entry
        if late():
            return None
        outlines = [(centre, side * j, angle + np.radians(da)) for j in cfg.jitter for da in cfg.jitter_angles]
        scores = fit([(known.tables[v], row, o, k) for o in outlines], cfg.place_iters)
        if scores.max() > best_fit[0]:
            best_fit = (float(scores.max()), outlines[int(np.argmax(scores))], entry)
    score, outline, leader = best_fit
    # then polished on the leading code's fit: centre, scale and angle in shrinking steps, kept where it
    # fits better (the kernel takes up a small shift, not a wrong scale or angle; placing is coarse)
    _, v, row, _, k, _ = leader
    table = known.tables[v]
    step = np.array([0.5, 0.015, np.radians(1.0)])  # modules of centre, scale fraction, angle
    for _ in range(cfg.polish_rounds):
        if late():
            return None
        centre, side, angle = outline
        m = side / table.n
        trials = []
        for dx, dy, ds, da in ((1, 0, 0, 0), (-1, 0, 0, 0), (0, 1, 0, 0), (0, -1, 0, 0),
                               (0, 0, 1, 0), (0, 0, -1, 0), (0, 0, 0, 1), (0, 0, 0, -1)):
            c = np.asarray(centre) + np.array([dx, dy]) * step[0] * m
            trials.append((c, side * (1 + ds * step[1]), angle + da * step[2]))
        scores = fit([(table, row, o, k) for o in trials], cfg.place_iters)
        if scores.max() > score:
            score, outline = float(scores.max()), trials[int(np.argmax(scores))]
        else:
            step = step / 2

    softened: dict[int, np.ndarray] = {}  # the observation at ``outline``, per module count

    def rotations(table: VersionTable, row: int, count: int) -> list[int]:
        """The code's ``count`` likeliest rotations at ``outline`` by softened correlation."""
        n = table.n
        if n not in softened:
            obs = _sample(frame, _module_to_frame(*outline, n), n, ring)
            softened[n] = cv2.GaussianBlur(obs, (0, 0), cfg.sigmas[0])[ring : ring + n, ring : ring + n]
        obs = softened[n]
        code = table.dark[row].astype(np.float32) - table.dark[row].mean()
        return list(np.argsort([-(np.rot90(obs, -k) * code).sum() for k in range(4)])[:count])

    fitted = []  # (score, version, row, rotation): each code in the rotation it correlated best in
    for v in dict.fromkeys(e[1] for e in chosen):  # at its best place, and the two best here
        if late():
            return None
        jobs = [
            (row, r)
            for _, v2, row, _, k, _ in chosen
            if v2 == v
            for r in dict.fromkeys([k, *rotations(known.tables[v], row, 2)])
        ]
        scores = fit([(known.tables[v], row, outline, r) for row, r in jobs], cfg.iters)
        fitted += [(float(sc), v, row, r) for sc, (row, r) in zip(scores, jobs, strict=True)]
    fitted.sort(key=lambda e: -e[0])
    best, v, row, k = fitted[0]
    index = int(known.tables[v].index[row])
    others = [s for s, v2, r2, _ in fitted[1:] if known.tables[v2].index[r2] != index]
    decoys = known.decoys(v)
    if late():
        return None
    jobs = [(decoys, d, outline, r) for d in range(len(decoys.dark)) for r in rotations(decoys, d, 2)]
    others += list(fit(jobs, cfg.iters))
    if late():
        return None
    runner = max(others)
    if best < cfg.min_score or (1 - best) > cfg.max_residual_ratio * (1 - runner):
        return None
    h = _module_to_frame(*outline, known.tables[v].n)
    n = known.tables[v].n
    own = [_rot_point(x, y, n, k) for x, y in ((0, 0), (n, 0), (n, n), (0, n))]
    pts = cv2.perspectiveTransform(np.float64(own).reshape(-1, 1, 2), h).reshape(4, 2)
    img = pts @ to_image[:, :2].T + to_image[:, 2]
    return Match(known.payloads[index], index, img.tolist(), round(best, 4), round(runner, 4), v)
