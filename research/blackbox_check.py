"""Do no harm on real photos: zxing-cpp alone vs ``scan`` per folder of ZXing's blackbox QR photos.

For every image of ``../shared/data/zxing-blackbox/qrcode-*`` (never trained on): the codes zxing-cpp
reads on the whole image, and the codes ``qrdeblur.scan`` reads with a given generator; a read counts
when its text equals the truth file (line endings normalised: the codes hold CRLF, the files LF), a
false read when it does not. Run with the dev install::

    python docs/research/blackbox_check.py                       # the shipped scan generator
    python docs/research/blackbox_check.py --model runs/x.onnx
"""

import argparse
import time
from pathlib import Path

import numpy as np
import zxingcpp

import qrdeblur


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/zxing-blackbox")
    parser.add_argument("--model", default=None, help="generator for scan (.onnx); default: the shipped one")
    args = parser.parse_args()
    print("folder    images  zxing  scan  gained  lost  false(zxing/scan)  median ms zxing/scan")
    for folder in sorted(args.root.glob("qrcode-*")):
        rows = {"n": 0, "zx": 0, "sc": 0, "gain": [], "lost": [], "fz": 0, "fs": 0, "tz": [], "ts": []}
        for image in sorted(folder.glob("*.png")) + sorted(folder.glob("*.jpg")):
            truth = _norm(image.with_suffix(".txt").read_text(encoding="utf-8", errors="replace"))
            grey = qrdeblur.read_image(image)
            t = time.perf_counter()
            zx = {_norm(r.text) for r in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)}
            rows["tz"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            sc = {_norm(c.text) for c in qrdeblur.scan(image, model=args.model)}
            rows["ts"].append((time.perf_counter() - t) * 1000)
            rows["n"] += 1
            rows["zx"] += truth in zx
            rows["sc"] += truth in sc
            rows["fz"] += len(zx - {truth})
            rows["fs"] += len(sc - {truth})
            if truth in sc and truth not in zx:
                rows["gain"].append(image.name)
            if truth in zx and truth not in sc:
                rows["lost"].append(image.name)
        print(f"{folder.name:9s} {rows['n']:6d} {rows['zx']:6d} {rows['sc']:5d}  {','.join(rows['gain']) or '-':6s}"
              f"  {','.join(rows['lost']) or '-':4s}  {rows['fz']} / {rows['fs']}"
              f"                {np.median(rows['tz']):.1f} / {np.median(rows['ts']):.1f}", flush=True)


if __name__ == "__main__":
    main()
