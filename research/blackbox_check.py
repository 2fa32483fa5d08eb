"""Do no harm on real photos: zxing-cpp alone vs ``qrdeblur.scan``, per folder of ZXing's blackbox QR images.

For every image of ``ROOT/qrcode-*`` (``--root``: ZXing's blackbox test images, e.g.
zxing-cpp/test/samples or a copy of them; default: the environment variable ``QRDEBLUR_BLACKBOX``;
never trained on), the codes zxing-cpp alone reads on the whole image (``read_as_loaded``: its own
default read, as ``scan`` starts) and the codes ``scan`` reads with a given generator. A read counts
when its text equals the image's truth file (line endings normalised: the codes hold CRLF, the files
LF), a false read when it does not; images without a text truth file are skipped. Prints per folder
the images, reads of each, the images scan gains and loses, false reads and median ms. Run::

    python research/blackbox_check.py --root ~/zxing-cpp/test/samples                       # shipped model
    QRDEBLUR_BLACKBOX=~/zxing-cpp/test/samples python research/blackbox_check.py --model runs/x.onnx
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import qrdeblur
from qrdeblur.decode.zxing import read_as_loaded
from qrdeblur.scan import load_deblurrer

ROOT_VARIABLE = "QRDEBLUR_BLACKBOX"


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_root = os.environ.get(ROOT_VARIABLE)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(default_root) if default_root else None,
        required=not default_root,
        help=f"ZXing's blackbox test images (folders qrcode-*), e.g. zxing-cpp/test/samples or a copy of them "
        f"(default: ${ROOT_VARIABLE})",
    )
    parser.add_argument("--model", default=None, help="generator for scan (.onnx); default: the shipped one")
    args = parser.parse_args()
    folders = sorted(p for p in args.root.expanduser().glob("qrcode-*") if p.is_dir())
    if not folders:
        parser.error(f"no qrcode-* folders in {args.root}")
    deblurrer = load_deblurrer(args.model)  # loaded once, outside the timings
    print("folder    images  zxing  scan  gained  lost  false(zxing/scan)  median ms zxing/scan")
    for folder in folders:
        rows = {"n": 0, "zx": 0, "sc": 0, "gain": [], "lost": [], "fz": 0, "fs": 0, "tz": [], "ts": []}
        for path in sorted(folder.glob("*.png")) + sorted(folder.glob("*.jpg")):
            truth_file = path.with_suffix(".txt")
            if not truth_file.exists():
                continue
            truth = normalise(truth_file.read_text(encoding="utf-8", errors="replace"))
            image = qrdeblur.read_image(path)
            t = time.perf_counter()
            zx = {normalise(r.text) for r in read_as_loaded(image)}
            rows["tz"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            sc = {normalise(c.text) for c in qrdeblur.scan(path, deblurrer=deblurrer)}
            rows["ts"].append((time.perf_counter() - t) * 1000)
            rows["n"] += 1
            rows["zx"] += truth in zx
            rows["sc"] += truth in sc
            rows["fz"] += len(zx - {truth})
            rows["fs"] += len(sc - {truth})
            if truth in sc and truth not in zx:
                rows["gain"].append(path.name)
            if truth in zx and truth not in sc:
                rows["lost"].append(path.name)
        if not rows["n"]:
            continue
        print(f"{folder.name:9s} {rows['n']:6d} {rows['zx']:6d} {rows['sc']:5d}  {','.join(rows['gain']) or '-':6s}"
              f"  {','.join(rows['lost']) or '-':4s}  {rows['fz']} / {rows['fs']}"
              f"                {np.median(rows['tz']):.1f} / {np.median(rows['ts']):.1f}", flush=True)


if __name__ == "__main__":
    main()
