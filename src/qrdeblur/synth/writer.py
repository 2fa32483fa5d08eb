"""``qrdeblur synth``: write a preset's pairs to OUT/sharp/, OUT/blurred/ and OUT/meta.jsonl.

Everything is validated before the first file is written, and files are written into a temporary
folder that replaces OUT only when complete, so a failure never leaves half a data set behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.synth.degrade import to_uint8
from qrdeblur.synth.payloads import read_payload_file
from qrdeblur.synth.presets import PairStream, get_preset
from qrdeblur.synth.render import QRSpec, make_symbol


def _write_png(path: Path, image: np.ndarray) -> None:
    u8 = to_uint8(image)
    if u8.ndim == 3:
        u8 = cv2.cvtColor(u8, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), u8):
        raise UsageError(f"{path}: cannot write image")


def write_pairs(
    out: str | Path,
    preset: str,
    count: int,
    seed: int,
    payload_file: str | Path | None = None,
    size: int = 80,
    force: bool = False,
) -> int:
    """Write ``count`` pairs of ``preset``; returns the number written.

    Refuses a non-empty ``out`` unless ``force``; checks the preset, the payload file and that every
    enrolled payload fits a QR code before writing anything.
    """
    out = Path(out)
    get_preset(preset)
    if count < 1:
        raise UsageError(f"count must be >= 1, got {count}")
    payloads = read_payload_file(payload_file) if payload_file else None
    if payloads:
        for i, p in enumerate(payloads, 1):
            try:
                make_symbol(QRSpec(p, None, "M"))
            except UsageError as exc:
                raise UsageError(f"{payload_file}: payload {i}: {exc}") from None
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"{out}: folder is not empty (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        (tmp / "sharp").mkdir()
        (tmp / "blurred").mkdir()
        stream = PairStream(preset, seed, size=size, payloads=payloads)
        digits = max(6, len(str(count)))
        with open(tmp / "meta.jsonl", "w", encoding="utf-8") as meta:
            for i in range(count):
                pair = next(stream)
                name = f"{i:0{digits}d}.png"
                _write_png(tmp / "sharp" / name, pair.sharp)
                _write_png(tmp / "blurred" / name, pair.blurred)
                meta.write(json.dumps({"file": name, "seed": seed, **pair.meta}) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return count
