"""Exact payloads on real photos: per folder of ZXing's blackbox QR images, where zxing-cpp's own
default read (plain text mode) equals the ``.txt`` truth byte for byte, does ``qrdeblur scan --json``
too; and does ``scan`` read every code zxing-cpp's default read finds (text for text)?

Run: python research/blackbox_exact.py --root PATH/TO/zxing/core/src/test/resources/blackbox
(or set QRDEBLUR_BLACKBOX; the truth files hold LF where some codes hold CRLF, so zxing-cpp's exact
text differs from a few of them, and those images are left out of the first count.)
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import zxingcpp

import qrdeblur


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=os.environ.get("QRDEBLUR_BLACKBOX"), required=False)
    args = parser.parse_args()
    if args.root is None:
        parser.error("--root is required (or set QRDEBLUR_BLACKBOX)")
    print("folder    images  zxing==txt  scan==txt-there  codes-zxing  of-them-scan")
    for folder in sorted(Path(args.root).glob("qrcode-*")):
        run = subprocess.run(
            [sys.executable, "-m", "qrdeblur.cli", "scan", str(folder), "--json"], capture_output=True, text=True
        )
        records = {json.loads(line)["path"]: json.loads(line) for line in run.stdout.splitlines()}
        n = zx_eq = sc_eq = zx_codes = sc_codes = 0
        for image in sorted(list(folder.glob("*.png")) + list(folder.glob("*.jpg"))):
            truth = image.with_suffix(".txt").read_text(encoding="utf-8")
            zx = [r.text for r in zxingcpp.read_barcodes(qrdeblur.read_image(image), text_mode=zxingcpp.TextMode.Plain)]
            sc = [c["text"] for c in records[str(image)]["codes"]]
            n += 1
            if truth in zx:
                zx_eq += 1
                sc_eq += truth in sc
            zx_codes += len(zx)
            sc_codes += sum(t in sc for t in zx)
        print(f"{folder.name:9s} {n:6d} {zx_eq:11d} {sc_eq:16d} {zx_codes:12d} {sc_codes:13d}", flush=True)


if __name__ == "__main__":
    main()
