"""Would a better blur estimate read the lost photo codes? The refiner fed Wiener with the true blur.

Usage: python docs/research/photo_kernel_oracle.py --oracle runs/oracle-scan-wiener.csv
For the ``photo`` codes the oracle-outline cascade (``photo_oracle.py``) did not read, blurred over
1-6 modules by motion, defocus or Gaussian (a shake path is not in the scene's metadata): rectify
the true outline at 3 px per module, stretch the contrast, and run the shipped scan generator's
refiner on Wiener outputs made with (a) its own estimate, (b) the scene's true PSF carried into the
crop (``kernels.motion_gaussian_fit``, as the ``scan`` preset's ``crop_blur``), (c) the true length
and angle with the estimated sigma, (d) the estimate with its length or angle nudged (test-time
hypotheses). Decodes each with zxing-cpp.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict

import numpy as np
import onnxruntime as ort

from qrdeblur.bench.photo import photo_suite
from qrdeblur.restore.deblurrer import scan_model_path
from qrdeblur.restore.kernel_wiener import ESTIMATOR_SIZE, decode_blur, encode_blur, front_end
from qrdeblur.scan import Cascade, to_grey
from qrdeblur.scan.cascade import stretch_contrast
from qrdeblur.geometry import rectify
from qrdeblur.synth import kernels
from qrdeblur.synth.presets import _homography_jacobian

PX = 3
VARIANTS = ("own", "true", "true L,a + own sigma", "L x0.94..1.06", "a +-2.5", "L x0.88, x1.12")


def true_psf(meta: dict) -> np.ndarray:
    k = {
        "motion": lambda: kernels.motion(meta["motion_length"], meta["motion_angle"]),
        "defocus": lambda: kernels.disk(meta["disk_radius"]),
        "gaussian": lambda: kernels.gaussian(meta["gaussian_sigma"]),
    }[meta["blur"]]()
    return kernels.compose(k, kernels.gaussian(meta["lens_sigma"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--blurs", default="motion,defocus,gaussian")
    args = parser.parse_args()
    rows = list(csv.DictReader(open(args.oracle)))
    by_scene = defaultdict(list)
    for r in rows:
        by_scene[int(r["scene"])].append(r)
    sess = ort.InferenceSession(str(scan_model_path()), providers=["CPUExecutionProvider"])
    no_feat = np.zeros((1, 2, ESTIMATOR_SIZE, ESTIMATOR_SIZE), np.float32)
    no_ref = np.zeros((1, 2, 8, 8), np.float32)
    reader = Cascade().reader

    def restore(x: np.ndarray, vec=None) -> np.ndarray:
        def est(f):
            own = sess.run(["blur"], {"estimator_features": f, "refiner_input": no_ref})[0]
            return own if vec is None else np.asarray(vec, np.float32)[None]

        pad = (-x.shape[0]) % 16
        xp = np.pad(x, ((0, pad), (0, pad)), mode="edge")[None]
        out = sess.run(["restored"], {"estimator_features": no_feat, "refiner_input": front_end(xp, est)})[0]
        return np.clip(np.round(out[0, 0, : x.shape[0], : x.shape[1]] * 255), 0, 255).astype(np.uint8)

    def reads(img, payload) -> bool:
        ok, _ = reader.read(img, binarizers=("LocalAverage", "GlobalHistogram"))
        return any(bc.text == payload for bc, _ in ok)

    tally: Counter = Counter()
    for item in photo_suite(args.count):
        if item.meta["blur"] not in args.blurs.split(","):
            continue
        grey = None
        for code, rec in zip(item.codes, by_scene[item.meta["index"]], strict=True):
            em = float(rec["extent_modules"])
            if rec["oracle"] == "1" or not 1 <= em < 6:
                continue
            grey = to_grey(item.image) if grey is None else grey
            n = 17 + 4 * code.version
            side = n * PX
            margin = int(round(side * 0.15)) + 4
            rect = rectify(grey, code.corners, side, margin)
            x = stretch_contrast(rect.image).astype(np.float32) / 255
            c = rect.image.shape[0] / 2
            jac = np.linalg.inv(_homography_jacobian(rect.to_image, c, c))
            truth = kernels.motion_gaussian_fit(true_psf(item.meta), jac)
            own = None

            def est_own(f):
                nonlocal own
                own = sess.run(["blur"], {"estimator_features": f, "refiner_input": no_ref})[0]
                return own

            pad = (-x.shape[0]) % 16
            front_end(np.pad(x, ((0, pad), (0, pad)), mode="edge")[None], est_own)
            L, a, s = decode_blur(own[0])[:3]
            got = {"own": reads(restore(x), code.payload), "true": reads(restore(x, encode_blur(*truth)), code.payload)}
            got["true L,a + own sigma"] = reads(restore(x, encode_blur(truth[0], truth[1], s)), code.payload)
            got["L x0.94..1.06"] = any(
                reads(restore(x, encode_blur(L * f, a, s)), code.payload) for f in (0.94, 0.97, 1.03, 1.06)
            )
            got["a +-2.5"] = any(reads(restore(x, encode_blur(L, a + d, s)), code.payload) for d in (-2.5, 2.5))
            got["L x0.88, x1.12"] = any(reads(restore(x, encode_blur(L * f, a, s)), code.payload) for f in (0.88, 1.12))
            key = f"{rec['blur']} {int(em)}-{int(em) + 1}"
            tally[(key, "n")] += 1
            for k, v in got.items():
                tally[(key, k)] += int(v)
                tally[("all", k)] += int(v)
            tally[("all", "n")] += 1
            print(
                f"{item.meta['index']:3d} {rec['cell']:8s} {key:12s} est L={L:5.1f} a={a:5.1f} s={s:4.2f} | "
                f"true L={truth[0]:5.1f} a={truth[1]:5.1f} s={truth[2]:4.2f} | {got}",
                flush=True,
            )
    keys = sorted({k for k, _ in tally})
    for k in keys:
        print(f"{k:14s} n={tally[(k, 'n')]:3d} " + "  ".join(f"{v} {tally[(k, v)]}" for v in VARIANTS))


if __name__ == "__main__":
    main()
