"""Which int8 recipe for the shipped model? Compare quantisation variants on a held-out paper80 draw.

The int8 file the package ships comes from :func:`qrdeblur.export.quantize.quantize_onnx` (entropy
calibration, refiner only). This script re-makes the variants it was chosen from, with the same
calibration crops (``clean``/``default`` presets, seed 20261201), and reads ``paper80(per_cell=48,
seed=1)`` after each (never the benchmark's seed): float; refiner with MinMax, percentile, entropy
ranges; refiner with MinMax but first/last layers float; estimator quantised too. Run with the dev
install (session 7 output: ``docs/bench/int8-session7/heldout.txt``)::

    qrdeblur export --model runs/wiener-qrunet-cpu/best.pt --onnx float.onnx
    python docs/research/int8_heldout.py float.onnx
"""

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

from qrdeblur.bench.suites import paper80
from qrdeblur.decode.decoders import as_uint8_grey
from qrdeblur.export.quantize import CALIBRATION_BATCHES, CALIBRATION_SEED, _Feeds, _preset_crops, estimator_nodes
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.deblurrer import Deblurrer

VARIANTS = {
    "refiner, MinMax": (CalibrationMethod.MinMax, "refiner", ()),
    "refiner, MinMax, stem+head float": (CalibrationMethod.MinMax, "refiner", ("/stem", "/head")),
    "refiner, percentile": (CalibrationMethod.Percentile, "refiner", ()),
    "refiner, entropy (shipped recipe)": (CalibrationMethod.Entropy, "refiner", ()),
    "estimator + refiner, entropy": (CalibrationMethod.Entropy, "all", ()),
}


def heldout(path: Path, items) -> tuple[float, dict[str, float]]:
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
    parser.add_argument("--per-cell", type=int, default=48)
    args = parser.parse_args()
    model = onnx.load(args.float_onnx)
    feeds = _Feeds(args.float_onnx)
    items = paper80(per_cell=args.per_cell, seed=1)
    logging.disable(logging.WARNING)
    mean, table = heldout(args.float_onnx, items)
    print(f"{'float':40s} mean {mean:5.1f} | " + " ".join(f"{k}:{v:.0f}" for k, v in table.items() if "s3" not in k))
    with tempfile.TemporaryDirectory() as tmp:
        for name, (method, part, extra) in VARIANTS.items():
            exclude = [n.name for n in model.graph.node if any(n.name.startswith(e) for e in extra)]
            if part == "refiner":
                exclude += estimator_nodes(model)

            class Reader(CalibrationDataReader):
                def __init__(self):
                    crops = _preset_crops(CALIBRATION_SEED, CALIBRATION_BATCHES)
                    self.batches = (feeds(g) for g, _ in crops)

                def get_next(self):
                    return next(self.batches, None)

            out = Path(tmp) / "q.onnx"
            with contextlib.redirect_stdout(sys.stderr):
                quantize_static(str(args.float_onnx), str(out), Reader(), quant_format=QuantFormat.QDQ,
                                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                                calibrate_method=method, nodes_to_exclude=exclude)
            mean, table = heldout(out, items)
            cells = " ".join(f"{k}:{v:.0f}" for k, v in table.items() if "s3" not in k)
            print(f"{name:40s} mean {mean:5.1f} | {cells}", flush=True)


if __name__ == "__main__":
    main()
