"""How wrong are the restored crops of the ``photo`` codes scan cannot read? Module errors on the true grid.

For every ``photo`` code that the true-outline cascade (``photo_oracle.py --out``) did not read, with
a blur of 1-6 modules: rectify its true outline at 3 px per module with the cascade's margin, stretch
the contrast, restore it with the generator, sample the module centres on the true grid, threshold
(Otsu), and count the modules that differ from the symbol; also how many of the wrong modules are
among the least confident 20 %, and whether zxing-cpp reads the sampled matrix re-drawn clean (ideal
sampling: does the decoder fail on the sampling or on the modules?). A better sampler or decoder can
only help when the restored crops are nearly right. Run::

    python research/photo_oracle.py --out runs/oracle.csv
    python research/photo_module_errors.py --oracle runs/oracle.csv [--model PATH]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from photo_breakdown import rows_by_scene  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import rectify
from qrdeblur.imageio import to_grey
from qrdeblur.restore.module_grid import PX, render_modules
from qrdeblur.scan import CascadeConfig, load_deblurrer
from qrdeblur.synth.render import QRSpec, make_symbol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True, help="photo_oracle.py CSV")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    args = parser.parse_args()
    by_scene = rows_by_scene(args.oracle)
    deblurrer = load_deblurrer(args.model)
    margin_fraction = CascadeConfig().margin
    out = []
    for item in photo_suite(args.count):
        recs = by_scene[item.meta["index"]]
        grey = None
        for code, rec in zip(item.codes, recs, strict=True):
            em = float(rec["extent_modules"])
            if rec["oracle"] == "1" or not 1 <= em < 6:
                continue
            grey = to_grey(item.image) if grey is None else grey
            truth = np.array(make_symbol(QRSpec(code.payload, code.version, code.ecc)).matrix, dtype=bool)
            n = truth.shape[0]
            side = n * PX
            margin = int(round(side * margin_fraction)) + 4
            rect = rectify(grey, code.corners, side, margin)
            restored = deblurrer.deblur(stretch_contrast(rect.image)).astype(np.float32)
            # average the 2x2 centre pixels of each module
            vals = cv2.resize(
                restored[margin : margin + side, margin : margin + side], (n, n), interpolation=cv2.INTER_AREA
            )
            t, _ = cv2.threshold(vals.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            dark = vals < t
            err = float(np.mean(dark != truth))
            conf = np.abs(vals - t)
            wrong = dark != truth
            # how many of the wrong modules are among the least confident 20%?
            low = conf <= np.quantile(conf, 0.2)
            ideal_ok = any(r.text == code.payload for r in read_grey(render_modules(dark, px=6))[0])
            out.append(
                (
                    em,
                    rec["cell"],
                    rec["blur"],
                    code.version,
                    code.ecc,
                    err,
                    float(np.mean(low[wrong])) if wrong.any() else 1.0,
                    ideal_ok,
                )
            )
            print(
                f"{item.meta['index']:3d} {rec['cell']:8s} {rec['blur']:8s} ext {em:4.2f} "
                f"v{code.version:2d} {code.ecc} module err {err:6.3f}  wrong in low-conf 20%: {out[-1][6]:.2f}  "
                f"ideal-sampling read {ideal_ok}",
                flush=True,
            )
    if not out:
        print("no lost code blurred over 1-6 modules")
        return
    errs = np.array([o[5] for o in out])
    quantiles = np.quantile(errs, [0.1, 0.25, 0.5, 0.75, 0.9]).round(3)
    print(f"n={len(out)}  module error quantiles 10/25/50/75/90%: {quantiles}")
    print(f"ideal sampling reads {sum(o[7] for o in out)} of {len(out)}")
    for lo, hi in ((1, 2), (2, 3), (3, 4), (4, 6)):
        e = [o[5] for o in out if lo <= o[0] < hi]
        if e:
            below = "  ".join(f"<{t:.0%}: {sum(x < t for x in e)}" for t in (0.05, 0.1, 0.15))
            print(f"extent {lo}-{hi}: n={len(e)} median err {np.median(e):.3f}  {below}")


if __name__ == "__main__":
    main()
