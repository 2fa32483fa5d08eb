"""Rebuild a generator from a training checkpoint alone (nanoGPT's habit: name + args + weights)."""

from __future__ import annotations

from pathlib import Path

from qrdeblur.errors import UsageError


def load_generator(path: str | Path):
    """The generator stored in checkpoint ``path`` (``last.pt``, ``best.pt``, a shipped ``.pt``), eval mode."""
    # lazy, torch and the registry (which imports it) both: importing this module stays torch-free, so
    # :mod:`qrdeblur.models.deblurrer` loads an .onnx model without torch installed
    import torch

    from qrdeblur.models.registry import create_model

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: checkpoint not found")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a bad file
        raise UsageError(f"{path}: not a readable checkpoint ({str(exc).splitlines()[0]})") from None
    if not isinstance(ck, dict) or "model" not in ck or "model_name" not in ck:
        raise UsageError(f"{path}: not a qrdeblur checkpoint (needs model, model_name, model_args)")
    generator = create_model(ck["model_name"], **ck.get("model_args", {}))
    generator.load_state_dict(ck["model"])
    generator.model_name = ck["model_name"]  # the registry name, for reports (the file is often "best.pt")
    return generator.eval()


def initial_state(path: str | Path) -> dict:
    """Generator weights to start a training run from: a checkpoint's, or a plain exported ONNX graph's.

    The shipped generators ship as ONNX only (the torch weights would double the package), so a run
    that fine-tunes one reads the graph's initializers: ``qrdeblur export`` wraps the generator as
    ``g``, so each parameter ``name`` is stored as ``g.name``. Returns a state dict for
    ``load_state_dict`` (which then checks that names and shapes match the configured generator).
    """
    import torch

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: initial weights not found")
    if path.suffix in (".pt", ".pth"):
        ck = torch.load(path, map_location="cpu", weights_only=False)
        if not isinstance(ck, dict) or "model" not in ck:
            raise UsageError(f"{path}: not a qrdeblur checkpoint (needs model)")
        return ck["model"]
    if path.suffix != ".onnx":
        raise UsageError(f"{path}: initial weights must be a .pt checkpoint or an .onnx export")
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    state = {i.name[2:]: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer
             if i.name.startswith("g.")}
    if not state:
        raise UsageError(f"{path}: no generator weights (g.*) in this ONNX graph (a wiener-qrunet export?)")
    return state


def load_initial_state(model, state: dict) -> list[str]:
    """Load ``state`` into ``model`` for fine-tuning; returns the names of the tensors that were grown.

    Names must match. Shapes must too, except an output layer grown by rows: a blur estimator given
    a 4th output (a defocus disk) starts from a 3-output estimator's weights, the new rows keeping
    their fresh initialisation. Anything else that differs is refused by ``load_state_dict``.
    """
    own = model.state_dict()
    merged, grown = dict(state), []
    for name, value in state.items():
        target = own.get(name)
        if (
            target is not None
            and target.shape != value.shape
            and target.ndim == value.ndim
            and target.shape[1:] == value.shape[1:]
            and target.shape[0] > value.shape[0]
        ):
            bigger = target.clone()
            bigger[: value.shape[0]] = value
            merged[name] = bigger
            grown.append(name)
    model.load_state_dict(merged)
    return grown
