"""Which int8 recipe for the shipped model? Compare quantisation variants on a held-out paper80 draw.

The int8 file the package ships comes from :func:`qrdeblur.export.quantize.quantize_onnx` (entropy
calibration, refiner only). This script re-makes the variants it was chosen from, with the same
calibration crops (``clean``/``default`` presets in turn, seed ``CALIBRATION_SEED``, each passed
through the float model's own front end), and reads ``paper80(per_cell=N, seed=1)`` after each (never
the benchmark's seed): float; refiner with MinMax, percentile, entropy ranges; refiner with MinMax but
the first and last layers float; estimator quantised too. Needs onnx. The recorded output is
``docs/bench/int8-heldout/heldout.txt``. Run::

    qrdeblur export --model runs/wiener-qrunet/best.pt --onnx float.onnx
    python research/int8_heldout.py float.onnx --per-cell 48
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.decode.decoders import as_uint8_grey
from qrdeblur.export.quantize import BATCH, CALIBRATION_BATCHES, CALIBRATION_SEED, estimator_nodes
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.deblurrer import Deblurrer
from qrdeblur.restore.kernel_wiener import estimator_features, front_end
from qrdeblur.synth.presets import get_preset

#: name -> (calibration method name, what is quantised, node name prefixes kept float)
VARIANTS = {
    "refiner, MinMax": ("MinMax", "refiner", ()),
    "refiner, MinMax, stem+head float": ("MinMax", "refiner", ("/stem", "/head")),
    "refiner, percentile": ("Percentile", "refiner", ()),
    "refiner, entropy (shipped recipe)": ("Entropy", "refiner", ()),
    "estimator + refiner, entropy": ("Entropy", "all", ()),
}


def calibration_crops(seed: int, batches: int, presets: tuple[str, ...] = ("clean", "default")):
    """``batches`` batches of grey float32 (BATCH, 80, 80) crops, the ``presets`` taken in turn (the
    recipe :func:`~qrdeblur.export.quantize.quantize_onnx` calibrates on)."""
    makers = [get_preset(name) for name in presets]
    rng = np.random.default_rng(seed)
    for _ in range(batches):
        pairs = [makers[i % len(makers)](rng) for i in range(BATCH)]
        yield np.stack([np.asarray(p.blurred, np.float32) for p in pairs])


def model_feeds(float_path: Path):
    """``feeds(grey batch) -> model inputs``: ``blurred`` for a plain generator; for a ``wiener-qrunet``
    the refiner's input made by the float model's own estimator and Wiener step."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(float_path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    input_name, channels = session.get_inputs()[0].name, int(meta.get("channels", 1))
    placeholder = np.zeros((1, 2, 8, 8), np.float32)

    def estimate(features):
        return session.run(["blur"], {"estimator_features": features, "refiner_input": placeholder})[0]

    def feeds(grey: np.ndarray) -> dict[str, np.ndarray]:
        if meta.get("front_end") != "kernel-wiener":
            return {input_name: np.repeat(grey[:, None], channels, axis=1)}
        return {"estimator_features": estimator_features(grey), "refiner_input": front_end(grey, estimate)}

    return feeds


def heldout(path: Path, items) -> tuple[float, dict[str, float]]:
    """Mean decode % over the cells and per cell after restoring ``items`` with the model at ``path``."""
    restored = Deblurrer.load(path).deblur_batch([as_uint8_grey(it.blurred) for it in items])
    cells: dict[str, list[int]] = {}
    for item, image in zip(items, restored, strict=True):
        c = cells.setdefault(item.cell, [0, 0])
        c[0] += decodes_correctly(image, item.payloads, "zxing-cpp")
        c[1] += 1
    table = {k: 100 * a / n for k, (a, n) in cells.items()}
    return float(np.mean(list(table.values()))), table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("float_onnx", type=Path, help="the float export of a wiener-qrunet")
    parser.add_argument("--per-cell", type=int, default=48, help="codes per paper80 cell (held-out draw, seed 1)")
    args = parser.parse_args()

    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    model = onnx.load(args.float_onnx)
    feeds = model_feeds(args.float_onnx)
    items = paper80(per_cell=args.per_cell, seed=1)
    logging.disable(logging.WARNING)
    mean, table = heldout(args.float_onnx, items)
    print(f"{'float':40s} mean {mean:5.1f} | " + " ".join(f"{k}:{v:.0f}" for k, v in table.items() if "s3" not in k))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = (feeds(g) for g in calibration_crops(CALIBRATION_SEED, CALIBRATION_BATCHES))

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        for name, (method, part, kept_float) in VARIANTS.items():
            exclude = [n.name for n in model.graph.node if any(n.name.startswith(e) for e in kept_float)]
            if part == "refiner":
                exclude += estimator_nodes(model)
            out = Path(tmp) / "q.onnx"
            with contextlib.redirect_stdout(sys.stderr):
                quantize_static(str(args.float_onnx), str(out), Reader(), quant_format=QuantFormat.QDQ,
                                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                                calibrate_method=CalibrationMethod[method], nodes_to_exclude=exclude)
            mean, table = heldout(out, items)
            cells = " ".join(f"{k}:{v:.0f}" for k, v in table.items() if "s3" not in k)
            print(f"{name:40s} mean {mean:5.1f} | {cells}", flush=True)


if __name__ == "__main__":
    main()
