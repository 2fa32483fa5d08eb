"""Reading a code from two of its finder patterns: :func:`read_finder_pairs`.

Why: zxing-cpp's detector needs all three finder patterns. A finder under tape, scuffed, overprinted,
lost in a highlight or merged with graphics printed against the code leaves the data readable (the
error correction restores what the damage reaches) but the code unlocated. Here the finder patterns
are found as nested contours (a dark ring round a light ring round a dark stone), and every pair of
similar size is taken as two corners of one code: side by side (the pair lies along the patterns'
own axes; the third finder on either side of either one) or diagonal (across them; the third on
either side of the pair's middle). Each guess, with the symbol sizes nearest the pair's distance,
fixes an affine map from module coordinates to the image; the crop is resampled at
:data:`PX_PER_MODULE` px per module, everything outside the symbol is painted light (a quiet zone
where the print had none) and all three finder patterns are painted in (each with its separator),
and zxing-cpp reads the result. A wrong guess cannot read: zxing-cpp checks the error correction, only
what it decodes is reported, and only a QR code of the guessed version.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from qrdeblur.decode.base import DecodeResult
from qrdeblur.decode.zxing import read_grey

#: Resampled crop: pixels per module, and light modules round the symbol.
PX_PER_MODULE = 4
QUIET = 4
#: Finder patterns smaller than this (px per module) are not looked for.
MIN_MODULE_PX = 1.5


def finder_patterns(grey: np.ndarray) -> list[tuple[np.ndarray, float, float]]:
    """Finder pattern candidates in a uint8 grey image: (centre (x, y), module px, axis angle in radians
    modulo pi/2).

    A finder is found by its light ring and its stone: a hole in dark print (the dark ring, whatever
    else is printed against it) holding a dark blob at its centre, areas in the ratio 25 : 9. The dark
    ring's outline is not used: print touching the code (no quiet zone) merges with it."""
    block = max(15, (min(grey.shape) // 8) | 1)
    dark = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 4)
    contours, hierarchy = cv2.findContours(dark, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    tree = hierarchy[0]
    depth = np.full(len(contours), -1)
    for i in range(len(contours)):
        chain, k = [], i
        while k >= 0 and depth[k] < 0:
            chain.append(k)
            k = tree[k][3]
        d = depth[k] if k >= 0 else -1
        for k in reversed(chain):
            d += 1
            depth[k] = d
    out = []
    for hole, ring in enumerate(contours):
        if depth[hole] % 2 == 0 or tree[hole][2] < 0:
            continue  # not a hole in dark print, or an empty one
        children, k = [], tree[hole][2]
        while k >= 0:
            children.append(k)
            k = tree[k][0]
        stone = max(children, key=lambda c: cv2.contourArea(contours[c]))
        a_hole, a_stone = cv2.contourArea(ring), cv2.contourArea(contours[stone])
        if a_stone <= 0 or not 1.8 <= a_hole / a_stone <= 4.5:
            continue
        module = np.sqrt(a_hole) / 5
        if module < MIN_MODULE_PX:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(ring)
        if min(w, h) <= 0 or max(w, h) / min(w, h) > 1.6 or a_hole < 0.6 * w * h:
            continue
        m = cv2.moments(contours[stone])
        centre = np.array([m["m10"] / m["m00"], m["m01"] / m["m00"]])
        if np.linalg.norm(centre - (cx, cy)) > module:
            continue
        out.append((centre, float(module), float(np.radians(angle) % (np.pi / 2))))
    return out


def _sizes(n_est: float) -> list[int]:
    """The two symbol sizes (21, 25, ...) nearest ``n_est`` modules."""
    v = (n_est - 17) / 4
    return sorted({int(np.clip(k, 1, 40)) * 4 + 17 for k in (np.floor(v), np.ceil(v))}, key=lambda s: abs(s - n_est))


def _guesses(a, b) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(corner finder, the two others, symbol size estimate) for the pair of finders ``a``, ``b``."""
    (ca, ma, ta), (cb, mb, _) = a, b
    m = (ma + mb) / 2
    d = cb - ca
    dist = float(np.linalg.norm(d))
    rel = (np.arctan2(d[1], d[0]) - ta) % (np.pi / 2)
    turn = np.array([-d[1], d[0]])
    if min(rel, np.pi / 2 - rel) < np.radians(15):  # side by side
        n = dist / m + 7
        return [(c, o, c + s * turn, n) for c, o in ((ca, cb), (cb, ca)) for s in (1, -1)]
    if abs(rel - np.pi / 4) < np.radians(15):  # diagonal
        n = dist / (m * np.sqrt(2)) + 7
        mid = (ca + cb) / 2
        return [(mid + s * turn / 2, ca, cb, n) for s in (1, -1)]
    return []


def _paint_finders(crop: np.ndarray, n: int, dark: int, light: int) -> None:
    """Paint the three finder patterns with their separators and the light surround into ``crop``."""
    k, q = PX_PER_MODULE, QUIET
    mask = np.ones(crop.shape, bool)
    mask[q * k : (q + n) * k, q * k : (q + n) * k] = False
    crop[mask] = light
    pattern = np.full((8, 8), light, np.uint8)
    pattern[:7, :7] = dark
    pattern[1:6, 1:6] = light
    pattern[2:5, 2:5] = dark
    big = np.kron(pattern, np.ones((k, k), np.uint8))
    s = 8 * k
    top, far = q * k, (q + n - 8) * k
    crop[top : top + s, top : top + s] = big
    crop[top : top + s, far : far + s] = big[:, ::-1]
    crop[far : far + s, top : top + s] = big[::-1, :]


def read_finder_pairs(grey: np.ndarray, max_tries: int = 48) -> list[tuple[DecodeResult, list[list[float]]]]:
    """Codes read from two finder patterns and a guessed third: (result, its corners in ``grey``).

    At most ``max_tries`` guesses (pair x arrangement x size) are decoded, closest pairs first."""
    found = finder_patterns(grey)
    pairs = [
        (a, b)
        for a, b in itertools.combinations(found, 2)
        if max(a[1], b[1]) / min(a[1], b[1]) < 1.4 and np.linalg.norm(a[0] - b[0]) > 10 * max(a[1], b[1])
    ]
    pairs.sort(key=lambda p: np.linalg.norm(p[0][0] - p[1][0]))
    k, q = PX_PER_MODULE, QUIET
    out: list[tuple[DecodeResult, list[list[float]]]] = []
    seen: set[str] = set()
    tries = 0
    for a, b in pairs:
        for corner, first, second, n_est in _guesses(a, b):
            for n in _sizes(n_est):
                if tries >= max_tries:
                    return out
                tries += 1
                src = np.float32([[3.5, 3.5], [n - 3.5, 3.5], [3.5, n - 3.5]])
                to_image = cv2.getAffineTransform(src, np.float32([corner, first, second]))
                # crop pixel (i, j) centre is module x = (j + 0.5) / k - q
                to_modules = np.array([[1 / k, 0, 0.5 / k - q], [0, 1 / k, 0.5 / k - q], [0, 0, 1]])
                hom = np.vstack([to_image, [0, 0, 1]]) @ to_modules
                side = (n + 2 * q) * k
                crop = cv2.warpAffine(
                    grey,
                    hom[:2],
                    (side, side),
                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                    borderMode=cv2.BORDER_REPLICATE,
                )
                inner = crop[q * k : (q + n) * k, q * k : (q + n) * k]
                dark, light = (int(v) for v in np.percentile(inner, (5, 95)))
                if light - dark < 20:
                    continue
                _paint_finders(crop, n, dark, light)
                ok, _ = read_grey(crop, min_side=0)
                # only a QR code of the guessed size: zxing-cpp's QR family also reads Micro QR, whose
                # smallest symbols only detect errors and so read from texture
                ok = [r for r in ok if r.version == (n - 17) // 4]
                for result in ok:
                    if result.text in seen:
                        continue
                    seen.add(result.text)
                    pts = np.float64(result.corners).reshape(-1, 1, 2)
                    corners = cv2.perspectiveTransform(pts, hom).reshape(-1, 2).tolist()
                    out.append((result, corners))
                if ok:
                    return out
    return out
