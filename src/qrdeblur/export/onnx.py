"""Export a generator checkpoint to ONNX and prove the export right (timm's ``onnx_export`` habit).

The graph takes ``blurred`` (B, C, H, W) float32 in [0, 1] with dynamic batch, height and width and
returns ``restored`` = sigmoid(logits) in [0, 1]. H and W must be multiples of the model's
``pad_multiple`` (stored as metadata; :class:`qrdeblur.restore.deblurrer.Deblurrer` pads for you).
After export: ``onnx.checker``, then onnxruntime against torch on random and real QR inputs of
several sizes; a max abs difference above ``tolerance`` is an error and the file is not kept.

A ``wiener-qrunet`` (blur estimator + NumPy Wiener + refiner) exports as one file holding both
networks (see :func:`_wiener_graph`), metadata ``front_end=kernel-wiener``; its parity check covers
both outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.models.checkpoint import load_generator
from qrdeblur.restore.kernel_wiener import estimator_features


class _Exportable:
    """Wraps a generator so the graph holds no Python-side padding: core network + sigmoid."""

    def __new__(cls, generator):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, g):
                super().__init__()
                self.g = g

            def forward(self, x):
                core = getattr(self.g, "forward_padded", self.g.forward)
                return torch.sigmoid(core(x))

        return Wrapped(generator).eval()


def _parity_inputs(channels: int, pad: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Random inputs and real blurred QR crops at a few sizes (multiples of ``pad``)."""
    from qrdeblur.synth.paper80 import paper80_crops

    items = paper80_crops(per_cell=1)
    real = np.stack([it.blurred[..., 0] for it in items[:4]]).astype(np.float32) / 255.0
    real = real[:, None].repeat(channels, axis=1)
    side = int(np.ceil(80 / pad) * pad)
    if side != 80:
        real = np.pad(real, ((0, 0), (0, 0), (0, side - 80), (0, side - 80)), mode="edge")
    shapes = [(1, channels, pad * 4, pad * 6), (3, channels, pad * 9, pad * 5)]
    randoms = [rng.random(s, dtype=np.float32) for s in shapes]
    return [real, *randoms]


def _wiener_graph(generator, pad: int):
    """A ``wiener-qrunet`` as one graph with two independent parts (the NumPy Wiener step sits between).

    Inputs ``estimator_features`` (N, 2, 80, 80) and ``refiner_input`` (M, 2, H, W); outputs ``blur``
    (N, 3) and ``restored`` (M, 1, H, W). onnxruntime computes only the outputs asked for, so the
    caller runs the estimator, then Wiener, then the refiner, each time feeding a tiny placeholder to
    the input it does not need (see :class:`qrdeblur.restore.deblurrer.Deblurrer`).
    """
    import torch

    class Both(torch.nn.Module):
        def __init__(self, g):
            super().__init__()
            self.g = g

        def forward(self, features, refiner_input):
            return self.g.estimator(features), torch.sigmoid(self.g.refiner.forward_padded(refiner_input))

    size = generator.estimator.size
    inputs = {"estimator_features": torch.rand(2, 2, size, size), "refiner_input": torch.rand(1, 2, pad * 10, pad * 10)}
    axes = {"estimator_features": {0: "estimates"}, "blur": {0: "estimates"},
            "refiner_input": {0: "batch", 2: "height", 3: "width"}, "restored": {0: "batch", 2: "height", 3: "width"}}
    return Both(generator).eval(), inputs, ["blur", "restored"], axes


def _wiener_feeds(generator, x: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    with torch.no_grad():
        refiner_input = generator.refiner_input(torch.from_numpy(x)).numpy()
    return {"estimator_features": estimator_features(x[:, 0]), "refiner_input": refiner_input}


def export_onnx(checkpoint: str | Path, onnx_path: str | Path, tolerance: float = 1e-4, opset: int = 17) -> dict:
    """Export ``checkpoint`` (a training .pt) to ``onnx_path``; returns the parity report.

    Refuses to overwrite an existing file (the CLI asks first). The report has ``max_abs_diff`` over
    all parity inputs and the input shapes checked.
    """
    # the heavy optional dependencies (the ``train`` extra) load when an export runs, not on import
    import onnx
    import onnxruntime as ort
    import torch

    onnx_path = Path(onnx_path)
    generator = load_generator(checkpoint)
    pad = int(getattr(generator, "pad_multiple", 1))
    tmp = onnx_path.with_name(onnx_path.name + ".tmp")
    # the registry name (e.g. wiener-qrunet) names the model, not the checkpoint file's stem ("best")
    name = torch.load(checkpoint, map_location="cpu", weights_only=False).get("model_name") or Path(checkpoint).stem
    meta = {"pad_multiple": pad, "model_name": name, "producer": "qrdeblur"}
    if hasattr(generator, "freeze_estimator"):
        wrapped, inputs, outputs, axes = _wiener_graph(generator, pad)
        channels, meta["front_end"] = 1, "kernel-wiener"
    else:
        # the input's channels (a pixel-unshuffled stem takes 4x as many as the image has)
        configured = getattr(getattr(generator, "cfg", None), "in_channels", None)
        channels = configured or next(p.shape[1] for p in generator.parameters() if p.ndim == 4)
        wrapped = _Exportable(generator)
        inputs = {"blurred": torch.rand(1, channels, pad * 10, pad * 10)}
        outputs = ["restored"]
        axes = {"blurred": {0: "batch", 2: "height", 3: "width"}, "restored": {0: "batch", 2: "height", 3: "width"}}
    meta["channels"] = channels
    torch.onnx.export(
        wrapped, tuple(inputs.values()), str(tmp), input_names=list(inputs), output_names=outputs,
        dynamic_axes=axes, opset_version=opset, dynamo=False,
    )
    model = onnx.load(str(tmp))
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp))

    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    worst, shapes = 0.0, []
    for x in _parity_inputs(channels, pad, np.random.default_rng(0)):
        feeds = _wiener_feeds(generator, x) if "front_end" in meta else {"blurred": x}
        with torch.no_grad():
            refs = wrapped(*(torch.from_numpy(v) for v in feeds.values()))
        refs = refs if isinstance(refs, tuple) else (refs,)
        for ref, got in zip(refs, session.run(outputs, feeds), strict=True):
            worst = max(worst, float(np.abs(ref.numpy() - got).max()))
        shapes.append(list(x.shape))
    if worst > tolerance:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{onnx_path}: ONNX parity check failed, max abs difference {worst:.2e} > {tolerance:.0e}")
    os.replace(tmp, onnx_path)
    return {"onnx": str(onnx_path), "max_abs_diff": worst, "shapes": shapes, "tolerance": tolerance}
