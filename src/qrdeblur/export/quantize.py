"""Post-training int8 quantisation of an exported generator (onnxruntime static QDQ), checked against float.

Why: the refiner's convolutions are most of the shipped model's time (1.4 of ~2.9 ms per 80x80 crop on
the project's 2-core Xeon); with int8 weights and activations onnxruntime runs them about twice as
fast (VNNI / AMX kernels), which is the margin the ``speed`` criterion needs on a machine whose speed
varies by hours. Restoration tolerates it: the output is a near-binary image that a decoder thresholds.

What is quantised: every node of the restoring network. For a ``wiener-qrunet`` graph the blur
**estimator stays float**: it regresses the kernel that Wiener then inverts, where errors are
amplified, and it is the smaller cost. On a held-out paper80 draw (``docs/research/int8_heldout.py``,
720 codes; ``docs/bench/int8-heldout/heldout.txt``) no variant changed the reading by more than
0.2 points: float 45.1%, this recipe 45.1%, MinMax 45.1%, percentile 45.3%, estimator quantised too 45.0%.

How: ``onnxruntime.quantization.quantize_static`` in QDQ format, int8 per-channel weights, uint8
activations, ranges from the entropy calibrator over seeded crops of the training presets (``clean``
and ``default``, never benchmark images), each passed through the float model's own front end, so the
refiner is calibrated on the Wiener outputs it will see. The same input gives the same file.

Check, with the decoder as the oracle: on a second seeded draw of whole codes (``clean`` preset),
zxing-cpp must read at most ``max_read_loss`` fewer of them after the int8 restoration than after the
float one, and the estimator's output must not change; otherwise the file is not kept. Pixel
agreement is reported but not judged: on blurs past recovery both outputs hover near 0.5 and differ
without consequence (96% of thresholded pixels agree on the shipped model, and as many codes read).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.kernel_wiener import estimator_features, front_end
from qrdeblur.synth.presets import get_preset

CALIBRATION_SEED = 20261201
CHECK_SEED = 20261202
CALIBRATION_BATCHES = 16
BATCH = 16
CHECK_BATCHES = 8
MAX_READ_LOSS = 0.02


def estimator_nodes(model) -> list[str]:
    """Names of the nodes that depend on the ``estimator_features`` input (the blur estimator)."""
    tainted = {"estimator_features"}
    names = []
    for node in model.graph.node:  # ONNX graphs are topologically sorted
        if any(i in tainted for i in node.input):
            tainted.update(node.output)
            names.append(node.name)
    return names


def _preset_crops(seed: int, batches: int, presets: tuple[str, ...] = ("clean", "default")) -> Iterator[tuple]:
    """``batches`` of (grey float32 (BATCH, 80, 80), payloads), the ``presets`` taken in turn."""
    makers = [get_preset(name) for name in presets]
    rng = np.random.default_rng(seed)
    for _ in range(batches):
        pairs = [makers[i % len(makers)](rng) for i in range(BATCH)]
        yield np.stack([np.asarray(p.blurred, np.float32) for p in pairs]), [p.meta["payload"] for p in pairs]


class _Feeds:
    """Model inputs for grey crops: ``blurred`` for a plain generator; for a ``wiener-qrunet`` the
    refiner's input made by the float model's own estimator and Wiener step."""

    def __init__(self, float_path: Path):
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(str(float_path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise UsageError(f"{float_path}: not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        self.wiener = meta.get("front_end") == "kernel-wiener"
        self.input_name = self.session.get_inputs()[0].name
        self.channels = int(meta.get("channels", 1))

    def __call__(self, grey: np.ndarray) -> dict[str, np.ndarray]:
        if not self.wiener:
            return {self.input_name: np.repeat(grey[:, None], self.channels, axis=1)}
        placeholder = np.zeros((1, 2, 8, 8), np.float32)

        def estimate(features):
            return self.session.run(["blur"], {"estimator_features": features, "refiner_input": placeholder})[0]

        return {"estimator_features": estimator_features(grey), "refiner_input": front_end(grey, estimate)}


def _compare(float_path: Path, int8_path: Path, feeds: _Feeds, batches: int) -> dict:
    """Codes zxing-cpp reads after each file's restoration, and their differences, on unseen whole codes."""
    import onnxruntime as ort

    a = ort.InferenceSession(str(float_path), providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(str(int8_path), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in a.get_outputs()]
    read = {"float": 0, "int8": 0}
    agree, total, mean_diff, estimator_diff = 0, 0, [], 0.0
    for grey, payloads in _preset_crops(CHECK_SEED, batches, ("clean",)):
        f = feeds(grey)
        ra = dict(zip(outputs, a.run(outputs, f), strict=True))
        rb = dict(zip(outputs, b.run(outputs, f), strict=True))
        for name, result in (("float", ra), ("int8", rb)):
            images = np.clip(np.round(result["restored"][:, 0] * 255), 0, 255).astype(np.uint8)
            read[name] += sum(decodes_correctly(im, p, "zxing-cpp") for im, p in zip(images, payloads, strict=True))
        agree += int(((ra["restored"] > 0.5) == (rb["restored"] > 0.5)).sum())
        total += ra["restored"].size
        mean_diff.append(float(np.abs(ra["restored"] - rb["restored"]).mean()))
        if "blur" in ra:
            estimator_diff = max(estimator_diff, float(np.abs(ra["blur"] - rb["blur"]).max()))
    return {
        "check_codes": batches * BATCH, "read_float": read["float"], "read_int8": read["int8"],
        "binary_agreement": agree / total, "mean_abs_diff": float(np.mean(mean_diff)),
        "estimator_max_abs_diff": estimator_diff,
    }


def quantize_onnx(
    float_path: str | Path,
    out_path: str | Path,
    max_read_loss: float = MAX_READ_LOSS,
    calibration_batches: int = CALIBRATION_BATCHES,
    check_batches: int = CHECK_BATCHES,
) -> dict:
    """Write an int8 version of the float generator ``float_path`` to ``out_path``; returns the check report.

    The CLI asks before overwriting; a file that is already int8 is refused. The metadata of the float
    file is kept, plus ``precision=int8`` and the calibration recipe. ``calibration_batches`` and
    ``check_batches`` (of 16 crops) change the recipe and the file: the shipped model uses the defaults.
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    float_path, out_path = Path(float_path), Path(out_path)
    if not float_path.exists():
        raise UsageError(f"{float_path}: model file not found")
    try:
        model = onnx.load(str(float_path))
    except Exception as exc:  # onnx raises protobuf's own errors
        raise UsageError(f"{float_path}: not an ONNX model ({str(exc).splitlines()[0]})") from None
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("precision") == "int8":
        raise UsageError(f"{float_path}: already int8")
    feeds = _Feeds(float_path)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = (feeds(grey) for grey, _ in _preset_crops(CALIBRATION_SEED, calibration_batches))

        def get_next(self):
            return next(self.batches, None)

    tmp = out_path.with_name(out_path.name + ".tmp")
    # onnxruntime logs pre-processing advice on the root logger and prints calibration progress to
    # stdout, where the CLI writes its JSON report
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            quantize_static(
                str(float_path), str(tmp), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Entropy, nodes_to_exclude=estimator_nodes(model),
            )
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        logging.disable(logging.NOTSET)
    quantized = onnx.load(str(tmp))
    del quantized.metadata_props[:]
    recipe = {
        "precision": "int8",
        "quantization": f"static QDQ, entropy calibration on {calibration_batches * BATCH} clean/default "
        f"crops (seed {CALIBRATION_SEED}); blur estimator kept float",
    }
    for key, value in {**meta, **recipe}.items():
        entry = quantized.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(quantized, str(tmp))
    report = _compare(float_path, tmp, feeds, check_batches)
    lost = (report["read_float"] - report["read_int8"]) / report["check_codes"]
    if lost > max_read_loss or report["estimator_max_abs_diff"] > 1e-4:
        tmp.unlink(missing_ok=True)
        raise UsageError(
            f"{out_path}: int8 check failed: zxing-cpp read {report['read_int8']} of {report['check_codes']} "
            f"check codes after int8 against {report['read_float']} after float (max loss {max_read_loss:.0%}), "
            f"estimator changed by {report['estimator_max_abs_diff']:.1e} (max 1e-4)"
        )
    os.replace(tmp, out_path)
    return {"int8": str(out_path), **report, "max_read_loss": max_read_loss}


__all__ = ["estimator_nodes", "quantize_onnx"]
