"""Turn a training checkpoint into the shipped model files (slim ``.pt`` + ``.onnx``).

The slim checkpoint keeps what rebuilds the generator and explains it (weights, name, args, step,
resolved config, validation metrics) and drops the optimiser and discriminator states, which are
only needed to resume training.
"""

from __future__ import annotations

from pathlib import Path

from qrdeblur.errors import UsageError

_KEEP = ("model", "model_name", "model_args", "step", "elapsed_s", "config", "val")


def slim_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Write the inference-only part of checkpoint ``src`` to ``dst``."""
    import torch

    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise UsageError(f"{src}: checkpoint not found")
    ck = torch.load(src, map_location="cpu", weights_only=False)
    slim = {k: ck[k] for k in _KEEP if k in ck}
    if slim.get("val"):
        slim["val"] = {k: v for k, v in slim["val"].items() if k != "restored"}
    torch.save(slim, dst)
    return dst
