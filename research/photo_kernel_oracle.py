"""Would a better blur estimate read the lost ``photo`` codes? The refiner fed Wiener with the true blur.

For the ``photo`` codes the true-outline cascade (``photo_oracle.py --out``) did not read, blurred over
1-6 modules by motion, defocus or Gaussian (a shake's path is not in the scene's metadata): rectify the
true outline at 3 px per module with the cascade's margin, stretch the contrast, and run the scan
generator's refiner (a ``wiener-qrunet`` ONNX graph) on Wiener outputs made with (a) its own estimate,
(b) the scene's true PSF carried into the crop (``kernels.motion_gaussian_fit``), (c) the true length
and angle with the estimated sigma, (d) the estimate with its length or angle nudged (test-time
hypotheses). Decodes each with zxing-cpp (the cascade's crop binarizers) and prints the reads per
variant by blur kind and extent. Run::

    python research/photo_oracle.py --out runs/oracle.csv
    python research/photo_kernel_oracle.py --oracle runs/oracle.csv
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from photo_breakdown import rows_by_scene, true_psf  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import rectify
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.deblurrer import scan_model_path
from qrdeblur.restore.kernel_wiener import ESTIMATOR_SIZE, decode_blur, encode_blur, estimator_features, front_end
from qrdeblur.restore.module_grid import PX
from qrdeblur.scan import CascadeConfig
from qrdeblur.synth import kernels
from qrdeblur.synth.scan_photo import homography_jacobian

VARIANTS = ("own", "true", "true L,a + own sigma", "L x0.94..1.06", "a +-2.5", "L x0.88, x1.12")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True, help="photo_oracle.py CSV")
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--blurs", default="motion,defocus,gaussian", help="blur kinds to include")
    parser.add_argument("--model", default=None, help="a wiener-qrunet ONNX graph; default: the shipped scan one")
    args = parser.parse_args()

    import onnxruntime as ort

    by_scene = rows_by_scene(args.oracle)
    config = CascadeConfig()
    sess = ort.InferenceSession(str(args.model or scan_model_path()), providers=["CPUExecutionProvider"])
    no_feat = np.zeros((1, 2, ESTIMATOR_SIZE, ESTIMATOR_SIZE), np.float32)
    no_ref = np.zeros((1, 2, 8, 8), np.float32)

    def own_estimate(features):
        return sess.run(["blur"], {"estimator_features": features, "refiner_input": no_ref})[0]

    def padded(x: np.ndarray) -> np.ndarray:
        pad = (-x.shape[0]) % 16
        return np.pad(x, ((0, pad), (0, pad)), mode="edge")[None]

    def restore(x: np.ndarray, vec=None) -> np.ndarray:
        """The refiner on Wiener with the estimate (``vec`` None) or the blur vector ``vec``."""

        def est(f):
            return own_estimate(f) if vec is None else np.asarray(vec, np.float32)[None]

        out = sess.run(["restored"], {"estimator_features": no_feat, "refiner_input": front_end(padded(x), est)})[0]
        return np.clip(np.round(out[0, 0, : x.shape[0], : x.shape[1]] * 255), 0, 255).astype(np.uint8)

    def reads(img, payload) -> bool:
        return any(r.text == payload for r in read_grey(img, binarizers=config.crop_binarizers)[0])

    tally: Counter = Counter()
    for item in photo_suite(args.count):
        if item.meta["blur"] not in args.blurs.split(","):
            continue
        psf = true_psf(item.meta)
        if psf is None:
            continue
        grey = None
        for code, rec in zip(item.codes, by_scene[item.meta["index"]], strict=True):
            em = float(rec["extent_modules"])
            if rec["oracle"] == "1" or not 1 <= em < 6:
                continue
            grey = to_grey(item.image) if grey is None else grey
            side = modules(code.version) * PX
            rect = rectify(grey, code.corners, side, int(round(side * config.margin)) + 4)
            x = stretch_contrast(rect.image).astype(np.float32) / 255
            c = rect.image.shape[0] / 2
            jac = np.linalg.inv(homography_jacobian(rect.to_image, c, c))
            truth = kernels.motion_gaussian_fit(psf, jac)
            L, a, s = decode_blur(own_estimate(estimator_features(padded(x)))[0])[:3]
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
    for k in sorted({k for k, _ in tally}):
        print(f"{k:14s} n={tally[(k, 'n')]:3d} " + "  ".join(f"{v} {tally[(k, v)]}" for v in VARIANTS))


if __name__ == "__main__":
    main()
