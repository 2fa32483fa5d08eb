"""Bench methods that run a generator: ``model[:PATH]`` (ours, ONNX) and ``paper-g[:PATH]`` (the paper's).

- ``model``: the shipped default generator (``wiener-qrunet``) through onnxruntime; ``model:PATH``
  any ``.onnx`` or training checkpoint ``.pt`` (e.g. ``qrdeblur/weights/qrunet.onnx``, the plain
  generator ``scan`` uses).
- ``finder-model[:PATH]``: Wiener with a kernel fitted to the finder patterns, then a plain generator
  (default the shipped ``qrunet``).
- ``paper-g``: the paper's full-width generator through torch. Without PATH it is the untrained
  architecture at the paper's initialisation: right for the ``speed`` suite (cost does not depend on
  the weights), meaningless for decode rates; ``paper-g:PATH`` loads a trained checkpoint.

Each restores a whole batch at once (the runner times the batch), as a network is used in practice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qrdeblur.decode.decoders import as_uint8_grey
from qrdeblur.synth.paper80 import CropItem


class ModelMethod:
    """Restore with a :class:`qrdeblur.restore.deblurrer.Deblurrer` (grey uint8 out)."""

    def __init__(self, path: str | None, name: str = "model"):
        from qrdeblur.models.deblurrer import load_deblurrer

        self.name = name if path is None else f"{name}:{path}"
        self.deblurrer = load_deblurrer(path)

    def restore_batch(self, items: Sequence[CropItem]) -> list[np.ndarray]:
        return self.deblurrer.deblur_batch([as_uint8_grey(it.blurred) for it in items])


class FinderModelMethod(ModelMethod):
    """Wiener with the kernel fitted to the finder patterns, then the generator (``finder-model``).

    Blind (the kernel is estimated from the image), but it assumes the ``paper80`` framing; see
    :mod:`qrdeblur.restore.finder_kernel`. The generator cleans the Wiener output's ringing and
    noise; it was trained on blurred codes, not on Wiener outputs.
    """

    def __init__(self, path: str | None):
        from qrdeblur.restore.deblurrer import plain_model_path

        # the plain generator: the wiener-qrunet models run their own blur estimate and Wiener first
        super().__init__(path if path is not None else str(plain_model_path()), name="finder-model")
        self.name = "finder-model" if path is None else f"finder-model:{path}"

    def restore_batch(self, items: Sequence[CropItem]) -> list[np.ndarray]:
        from qrdeblur.restore.finder_kernel import finder_wiener

        pre = [finder_wiener(as_uint8_grey(it.blurred).astype(np.float32) / 255.0) for it in items]
        return self.deblurrer.deblur_batch([np.clip(np.round(p * 255), 0, 255).astype(np.uint8) for p in pre])


class PaperGeneratorMethod:
    """Restore with the paper's generator in torch (RGB in, grey uint8 out for the decoders)."""

    def __init__(self, path: str | None):
        import torch

        from qrdeblur.models.checkpoint import load_generator
        from qrdeblur.models.paper import PaperGenerator

        self.name = "paper-g" if path is None else f"paper-g:{path}"
        self.torch = torch
        if path is None:
            torch.manual_seed(0)
            self.generator = PaperGenerator().eval()
        else:
            self.generator = load_generator(path)
        self.channels = next(p.shape[1] for p in self.generator.parameters() if p.ndim == 4)

    def restore_batch(self, items: Sequence[CropItem]) -> list[np.ndarray]:
        torch = self.torch
        grey = np.stack([as_uint8_grey(it.blurred) for it in items]).astype(np.float32) / 255.0
        x = torch.from_numpy(grey)[:, None].repeat(1, self.channels, 1, 1)
        outs = []
        with torch.no_grad():
            for i in range(0, len(x), 16):
                outs.append(torch.sigmoid(self.generator(x[i : i + 16])).mean(dim=1))
        y = torch.cat(outs).numpy()
        return list(np.clip(np.round(y * 255), 0, 255).astype(np.uint8))
