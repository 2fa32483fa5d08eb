"""Training data as torch datasets: endless on-the-fly synthesis, or pairs from a ``synth`` folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from qrdeblur.errors import UsageError
from qrdeblur.synth.presets import PairStream


def to_tensor(image: np.ndarray, grey: bool) -> torch.Tensor:
    """(H, W) or (H, W, 3) float [0, 1] -> (C, H, W) float32 tensor, grey (C=1) or RGB (C=3)."""
    if image.ndim == 3 and grey:
        image = image.mean(axis=2)
    if image.ndim == 2 and not grey:
        image = np.repeat(image[..., None], 3, axis=2)
    t = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    return t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)


class SynthStream(IterableDataset):
    """Endless (blurred, sharp) tensors from a preset; each DataLoader worker gets its own seed shard.

    ``epoch_offset`` shifts the shard seeds, so a resumed run does not replay the data it has seen.
    """

    def __init__(self, preset: str, seed: int, size: int, grey: bool, payloads=None, epoch_offset: int = 0):
        self.preset, self.seed, self.size, self.grey = preset, seed, size, grey
        self.payloads = payloads
        self.epoch_offset = epoch_offset

    def __iter__(self):
        info = get_worker_info()
        shard = (info.id if info else 0) + 1000 * self.epoch_offset
        stream = PairStream(self.preset, self.seed, self.size, self.payloads, shard=shard)
        for pair in stream:
            yield to_tensor(pair.blurred, self.grey), to_tensor(pair.sharp, self.grey)


class SynthFolder(Dataset):
    """Pairs written by ``qrdeblur synth`` (OUT/sharp/NAME.png, OUT/blurred/NAME.png)."""

    def __init__(self, root: str | Path, grey: bool):
        self.root = Path(root)
        self.grey = grey
        blurred_dir = self.root / "blurred"
        if not blurred_dir.is_dir() or not (self.root / "sharp").is_dir():
            raise UsageError(f"{self.root}: not a synth folder (needs sharp/ and blurred/)")
        self.names = sorted(p.name for p in blurred_dir.glob("*.png"))
        if not self.names:
            raise UsageError(f"{self.root}: synth folder holds no PNG pairs")

    def __len__(self) -> int:
        return len(self.names)

    def _read(self, sub: str, name: str) -> np.ndarray:
        img = cv2.imread(str(self.root / sub / name), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise UsageError(f"{self.root / sub / name}: cannot read image")
        if img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        return img.astype(np.float32) / 255.0

    def __getitem__(self, i: int):
        name = self.names[i]
        return to_tensor(self._read("blurred", name), self.grey), to_tensor(self._read("sharp", name), self.grey)
