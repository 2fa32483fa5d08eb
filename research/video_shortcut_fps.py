"""Frames per second of ``scan_video`` with and without the tracking shortcut, on a generated video.

The video: ``--frames`` frames of ``--width`` x ``--height`` grey texture (sines and noise) written as
H.264 (:func:`qrdeblur.synth.conveyor.write_video`; needs the ``video`` extra), with
``--codes`` version-2 codes of 4 px per module crossing it left to right one after the other, each in
view for about a third of the frames, smeared by a ``--blur``-pixel horizontal motion blur. Both passes
scan the same file with the shipped generator loaded (it was loaded before timing); the shortcut pass
looks for tracked codes in crops first, the other scans every frame whole; with and without fusion
(:mod:`qrdeblur.scan.fuse`) for the shortcut pass. Prints fps, the whole-frame and crop scans, and the
tracks of each pass (which should be the same). Run::

    OMP_NUM_THREADS=1 python research/video_shortcut_fps.py --out /tmp/conveyor.mp4
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

import qrdeblur
from qrdeblur.scan import load_deblurrer
from qrdeblur.synth.conveyor import write_video
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def make_video(path: str, width: int, height: int, frames: int, codes: int, blur: int, seed: int = 0) -> str:
    """Write the video; returns its codec (:func:`qrdeblur.synth.conveyor.write_video`)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    bg = 125 + 35 * np.sin(xx / 9.0) * np.cos(yy / 13.0)
    tiles = []
    for k in range(codes):
        matrix = module_matrix(make_symbol(QRSpec(f"PARCEL-{k:04d}-{seed}", 2, "M", mask=0)), 4)
        tiles.append(render_matrix(matrix, module_px=4) * 210 + 25)
    span = frames // max(1, codes)
    out = []
    kernel = np.ones((1, max(1, blur)), np.float32) / max(1, blur)
    for i in range(frames):
        img = bg.copy()
        k, j = divmod(i, span)
        if k < codes:
            tile = tiles[k]
            th, tw = tile.shape
            x = int(-tw + (width + tw) * (j + 0.5) / span)
            y = (height - th) // 2
            x0, x1 = max(0, x), min(width, x + tw)
            if x0 < x1:
                img[y : y + th, x0:x1] = tile[:, x0 - x : x1 - x]
        img = cv2.filter2D(img.astype(np.float32), -1, kernel) + rng.normal(0, 3, img.shape)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return write_video(path, out, 30.0, h264=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/video_shortcut_fps.mp4", help="where to write the video")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--codes", type=int, default=2)
    parser.add_argument("--blur", type=int, default=3, help="horizontal motion blur length (px)")
    parser.add_argument("--budget-ms", type=float, default=None, help="per-frame budget (default: scan_video's)")
    parser.add_argument("--no-fuse", dest="fuse", action="store_false",
                        help="compare the shortcut without fusion only (else also with fusion)")
    args = parser.parse_args()
    codec = make_video(args.out, args.width, args.height, args.frames, args.codes, args.blur)
    print(f"{args.width}x{args.height}, {args.frames} frames, {codec}")
    load_deblurrer()  # loaded once, outside the timing
    passes = [(False, False), (True, False), (True, True)] if args.fuse else [(False, False), (True, False)]
    for shortcut, fuse in passes:
        stats = []
        t0 = time.perf_counter()
        tracks = list(qrdeblur.scan_video(args.out, budget_ms=args.budget_ms, shortcut=shortcut,
                                          on_progress=stats.append, fuse=fuse))
        seconds = time.perf_counter() - t0
        s = stats[-1]
        spans = [(t.text, t.first.frame, t.last.frame, len(t.detections)) for t in tracks]
        print(f"shortcut={shortcut} fuse={fuse}: {s.frames / seconds:.1f} fps ({s.frames} frames in {seconds:.2f} s), "
              f"{s.full_scans} whole-frame scans, {s.crop_scans} crop scans, {s.fused_stacks} stacks fused; "
              f"tracks {spans}")


if __name__ == "__main__":
    main()
