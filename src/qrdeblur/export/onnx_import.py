"""A shipped ``wiener-qrunet`` ONNX model back into PyTorch, so that it can be fine-tuned.

The shipped models are ONNX files (the refiner int8, the blur estimator's BatchNorm folded into its
convolutions); their training checkpoints are not shipped. :func:`generator_from_onnx` rebuilds the
generator from such a file: every Conv, ConvTranspose and Gemm of the graph, in graph order (int8
weights dequantised), is matched to the network's Conv2d, ConvTranspose2d and Linear layers in the
order a forward pass runs them (each network's own nodes keep that order in the graph, which
interleaves the two), shapes checked; each BatchNorm after an estimator convolution becomes
the identity (its effect is already in the folded weights). The result is checked against
onnxruntime on random inputs before it is returned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError

#: Largest mean difference of the restored pixels (0-1) from onnxruntime's accepted: the file quantises
#: the refiner's activations to int8 too, which the float network here does not (measured on synthetic
#: scan crops: 0.007 for the shipped scan model, 0.020 for wiener-qrunet). The estimator, float in
#: the file, must agree to 1e-4.
PARITY_TOLERANCE = 0.03


def _constants(graph) -> dict[str, np.ndarray]:
    """Every tensor the graph holds as data: initializers, Constant outputs, dequantised int8 weights."""
    from onnx import numpy_helper

    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in values:
            x = values[node.input[0]].astype(np.float32)
            scale = values[node.input[1]].astype(np.float32)
            zero = values[node.input[2]].astype(np.float32) if len(node.input) > 2 else np.zeros_like(scale)
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and scale.size > 1:  # per-channel
                shape = [1] * x.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            values[node.output[0]] = (x - zero) * scale
    return values


def _layers_in_run_order(part, run) -> list:
    """``part``'s Conv2d, ConvTranspose2d and Linear layers in the order ``run()`` calls them."""
    import torch
    from torch import nn

    order, hooks = [], []
    for module in part.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            hooks.append(module.register_forward_hook(lambda m, i, o: order.append(m)))
    with torch.no_grad():
        run()
    for h in hooks:
        h.remove()
    return order


def generator_from_onnx(path: str | Path, generator_args: dict):
    """The ``wiener-qrunet`` generator with ``generator_args`` (its config's ``generator.args``), weights
    from the ONNX file ``path``; UsageError when the file is not such a model or does not match."""
    import onnx
    import onnxruntime as ort
    import torch
    from torch import nn

    from qrdeblur.models.registry import create_model

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: model file not found")
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("front_end") != "kernel-wiener":
        raise UsageError(f"{path}: not a wiener-qrunet model (front_end {meta.get('front_end')!r})")
    generator = create_model("wiener-qrunet", **generator_args)
    generator.eval()
    pad = generator.pad_multiple
    features = torch.rand(2, 2, 80, 80)
    refiner_input = torch.rand(1, 2, pad * 10, pad * 10)
    # the graph interleaves the two networks' nodes; each network's own keep their order
    layers = _layers_in_run_order(generator.estimator, lambda: generator.estimator(features))
    layers += _layers_in_run_order(generator.refiner, lambda: generator.refiner.forward_padded(refiner_input))
    values = _constants(model.graph)
    weighted = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose", "Gemm")]
    nodes = [n for n in weighted if n.name.startswith("/estimator/")]
    nodes += [n for n in weighted if not n.name.startswith("/estimator/")]
    if len(nodes) != len(layers):
        raise UsageError(f"{path}: {len(nodes)} weighted layers in the file, {len(layers)} in the network")
    for node, layer in zip(nodes, layers, strict=True):
        w = values[node.input[1]]
        if node.op_type == "Gemm" and not any(a.name == "transB" and a.i == 1 for a in node.attribute):
            w = w.T
        if tuple(w.shape) != tuple(layer.weight.shape):
            raise UsageError(f"{path}: layer {node.name} is {w.shape}, the network's {tuple(layer.weight.shape)}")
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.array(w, dtype=np.float32)))
            if layer.bias is not None:
                b = values[node.input[2]] if len(node.input) > 2 else np.zeros(layer.bias.shape, np.float32)
                layer.bias.copy_(torch.from_numpy(np.array(b, dtype=np.float32)))
    for module in generator.estimator.modules():
        if isinstance(module, nn.BatchNorm2d):  # folded into the convolutions in the file
            with torch.no_grad():
                module.weight.fill_(1.0)
                module.bias.zero_()
                module.running_mean.zero_()
                module.running_var.fill_(1.0 - module.eps)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # parity on what the refiner sees in use: synthetic code crops through the estimator and Wiener
    from qrdeblur.restore.kernel_wiener import estimator_features
    from qrdeblur.synth.presets import get_preset

    crops = np.stack([get_preset("scan-whole")(np.random.default_rng([4242, i])).blurred for i in range(4)])
    side = crops.shape[-1] // pad * pad
    crops = crops[:, None, :side, :side].astype(np.float32)
    feeds = {
        "estimator_features": estimator_features(crops[:, 0]),
        "refiner_input": generator.refiner_input(torch.from_numpy(crops)).numpy(),
    }
    blur, restored = session.run(["blur", "restored"], feeds)
    with torch.no_grad():
        ours_blur = generator.estimator(torch.from_numpy(feeds["estimator_features"])).numpy()
        ours = torch.sigmoid(generator.refiner.forward_padded(torch.from_numpy(feeds["refiner_input"]))).numpy()
    blur_diff, pixel_diff = float(np.abs(ours_blur - blur).max()), float(np.abs(ours - restored).mean())
    if blur_diff > 1e-4 or pixel_diff > PARITY_TOLERANCE:
        raise UsageError(
            f"{path}: the rebuilt network differs from the file (blur estimate by {blur_diff:.3g}, restored "
            f"pixels by {pixel_diff:.3g} on average)"
        )
    generator.onnx_parity = pixel_diff
    return generator
