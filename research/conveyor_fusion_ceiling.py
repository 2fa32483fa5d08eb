"""Ceiling of multi-frame restoration on the ``conveyor`` suite, given the truth.

For each code of each sequence (cells 5-7 and 7-10 by default), in the frames where the code is wholly
in view (as decoded from the video file, compression included):
  single:  Wiener with the true PSF on each frame alone (a code counts when any frame reads);
  fused:   the frames registered by the code's true motion and averaged, then Wiener with the true PSF;
  dir:     as fused, but the PSF's length searched (the direction the true motion's): what a tracker that
           measured the motion between frames, and not the shutter, could do;
  grid:    the module-grid solver on the true outline under the true PSF, on the reference frame and on
           the fused frames.
Prints codes read per cell and method.

    python research/conveyor_fusion_ceiling.py --per-cell 6 --cells 5-7,7-10
"""
from __future__ import annotations

import argparse
from collections import defaultdict

import cv2
import numpy as np

from qrdeblur.bench.oracle import grid_frame
from qrdeblur.bench.suites.conveyor import conveyor_suite
from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.module_grid import render_modules, solve_codes
from qrdeblur.scan.frames import open_frames
from qrdeblur.synth import kernels

BALANCES = (0.003, 0.01, 0.03)


def frames_of(path):
    """Every frame of a video file, grey."""
    with open_frames(path) as source:
        return [frame.image for frame in source]


def reads(img, psf):
    texts = set()
    for b in BALANCES:
        out = np.clip(wiener_oracle(img, psf, b), 0, 1)
        texts |= {r.text for r in read_grey((out * 255).round().astype(np.uint8))[0]}
    return texts


def grid_reads(grey, quad, version, psf):
    """The texts the module-grid solver reads on the true outline under the true PSF (as the oracle method)."""
    kernel = kernels.warp_kernel(psf, grid_frame(quad, version))
    texts = set()
    for sol in solve_codes(grey.astype(np.float32) / 255.0, quad, version, kernel, 0):
        texts |= {r.text for r in read_grey(render_modules(sol.dark))[0]}
    return texts


def line_psf(vec):
    return kernels.path_kernel(np.outer(np.linspace(-0.5, 0.5, 200), vec))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-cell", type=int, default=6)
    ap.add_argument("--cells", default="5-7,7-10")
    ap.add_argument("--max-frames", type=int, default=12)
    a = ap.parse_args()
    cells = a.cells.split(",")
    items = [it for it in conveyor_suite(per_cell=a.per_cell) if it.cell in cells]
    count = defaultdict(lambda: defaultdict(int))
    for it in items:
        frames = frames_of(it.path)
        speed, shutter = it.meta["speed_px"], it.meta["shutter"]
        ang = np.radians(it.meta["direction_deg"])
        vel = np.array([np.cos(ang), np.sin(ang)]) * speed
        psf = line_psf(vel * shutter)
        for code in it.codes:
            count[it.cell]["codes"] += 1
            view = np.nonzero(code.in_view(frames[0].shape))[0]
            if len(view) == 0:
                continue
            count[it.cell]["in view"] += 1
            centres = code.corners.mean(1)
            ref = view[len(view) // 2]
            pad = psf.shape[0] + 16
            x0, y0 = np.floor(code.corners[ref].min(0)).astype(int) - pad
            x1, y1 = np.ceil(code.corners[ref].max(0)).astype(int) + pad
            h, w = frames[0].shape
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
            single = set()
            for k in view:
                d = centres[k] - centres[ref]
                xs, ys = np.floor(code.corners[k].min(0)).astype(int) - pad
                xe, ye = np.ceil(code.corners[k].max(0)).astype(int) + pad
                crop = frames[k][max(0, ys):min(h, ye), max(0, xs):min(w, xe)].astype(np.float32) / 255
                single |= reads(crop, psf)
            # fused: warp each frame onto the reference frame's crop
            sel = view[np.argsort(np.abs(view - ref))][: a.max_frames]
            acc = np.zeros((y1 - y0, x1 - x0), np.float32)
            for k in sel:
                d = centres[k] - centres[ref]
                m = np.float32([[1, 0, d[0] + x0], [0, 1, d[1] + y0]])
                # output pixel (u, v) of the crop <- frame pixel (u + x0 + d)
                acc += cv2.warpAffine(frames[k].astype(np.float32) / 255, m, (x1 - x0, y1 - y0),
                                      flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
            fused_img = acc / len(sel)
            one = frames[ref][y0:y1, x0:x1].astype(np.float32) / 255
            fused = reads(fused_img, psf)
            dirs = set()
            for s in np.linspace(0.3, 1.0, 8):
                dirs |= reads(fused_img, line_psf(vel * s))

            def ok(found, payload=code.payload):
                return payload in found

            quad = code.corners[ref] - [x0, y0]
            grid1 = grid_reads((one * 255).astype(np.uint8), quad, code.version, psf)
            gridf = grid_reads((fused_img * 255).round().astype(np.uint8), quad, code.version, psf)
            count[it.cell]["grid ref"] += ok(grid1)
            count[it.cell]["grid fused"] += ok(gridf)
            count[it.cell]["single"] += ok(single)
            count[it.cell]["ref only"] += ok(reads(one, psf))
            count[it.cell]["fused"] += ok(fused)
            count[it.cell]["dir"] += ok(dirs)
            count[it.cell]["wrong"] += len((single | fused | dirs) - set(it.payloads))
            print(it.cell, code.payload[:12], "v", code.version, "mpx", it.meta["module_px"],
                  "blur", it.meta["blur_modules"], "shutter", shutter, "frames", len(view), "single", ok(single),
                  "fused", ok(fused), "dir", ok(dirs), "grid1", ok(grid1), "gridf", ok(gridf), flush=True)
    for cell in cells:
        print(cell, dict(count[cell]))


if __name__ == "__main__":
    main()
