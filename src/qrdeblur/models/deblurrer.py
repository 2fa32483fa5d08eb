"""Load a generator for :class:`~qrdeblur.restore.deblurrer.Deblurrer` from any model file, training
checkpoints (``.pt``) included.

:class:`~qrdeblur.restore.deblurrer.Deblurrer` itself runs ONNX graphs through onnxruntime and stays
torch-free (``restore`` sits below ``models`` in the package's layers); a checkpoint needs torch and
the model registry, so its loader lives here. :func:`load_deblurrer` takes either kind: the CLI's
``deblur --model`` and the bench's ``model:PATH`` use it. Importing this module does not import torch
(an ``.onnx`` file never needs it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.models.checkpoint import load_generator
from qrdeblur.restore.deblurrer import CHECKPOINT_SUFFIXES, Deblurrer


def load_deblurrer(path: str | Path | None = None, threads: int | None = None) -> Deblurrer:
    """A :class:`Deblurrer` for ``path``: a ``.pt`` checkpoint through torch (:func:`checkpoint_deblurrer`),
    anything else through :meth:`Deblurrer.load` (``.onnx``; None = the shipped model)."""
    if path is not None and Path(path).suffix in CHECKPOINT_SUFFIXES:
        return checkpoint_deblurrer(path, threads)
    return Deblurrer.load(path, threads)


def checkpoint_deblurrer(path: str | Path, threads: int | None = None) -> Deblurrer:
    """A :class:`Deblurrer` running the generator of training checkpoint ``path`` through torch."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: model file not found")
    try:
        import torch  # the ``train`` extra; lazy so that the .onnx path works without it
    except ImportError:
        raise UsageError(
            f"{path}: a .pt model needs torch (pip install 'qrdeblur[train]'); use an .onnx model"
        ) from None
    generator = load_generator(path)
    if threads:
        torch.set_num_threads(threads)

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.sigmoid(generator(torch.from_numpy(batch))).numpy()

    channels = int(getattr(generator, "in_channels", 0) or _infer_channels(generator))
    return Deblurrer(run, channels, 1, getattr(generator, "model_name", path.stem))


def _infer_channels(generator) -> int:
    for p in generator.parameters():
        if p.ndim == 4:
            return int(p.shape[1])
    return 1


__all__ = ["checkpoint_deblurrer", "load_deblurrer"]
