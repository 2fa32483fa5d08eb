"""Rebuild a generator from a training checkpoint alone (nanoGPT's habit: name + args + weights)."""

from __future__ import annotations

from pathlib import Path

from qrdeblur.errors import UsageError


def load_generator(path: str | Path):
    """The generator stored in checkpoint ``path`` (``last.pt``, ``best.pt``, a shipped ``.pt``), eval mode."""
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
