"""Enrolled codes: fine-tune the shipped scan generator on the codes a line prints (``qrdeblur enroll``).

The paper's setting: a line knows its codes and trains its generator on blurred renders of them.
:func:`enroll` does that from the shipped model:

1. the shipped ``scan-wiener-qrunet.onnx`` is rebuilt as a PyTorch network
   (:func:`qrdeblur.export.onnx_import.generator_from_onnx`, checked against onnxruntime) and saved as
   the run's starting point (``init.pt``);
2. its refiner is fine-tuned on ``clean`` pairs of the enrolled codes only (whole codes, motion then
   Gaussian blur, light noise: the paper's setting; the blur estimator kept), with the shipped model's
   pixel terms (L1, binary, edge) and a validation set of the enrolled codes;
   a run is resumable after a kill (``resume=True``);
3. the best checkpoint is exported as the shipped models are (ONNX, the refiner int8, with the parity
   and read-loss checks of ``qrdeblur export --int8``);
4. both models restore the enrolled codes on the ``paper80`` blur grid (motion 0-20 px x Gaussian
   sigma 1-3 at 80x80, :func:`enrolled_grid`); the decode rates go into the model card with the exact
   command that made the model.

``MODEL_DIR`` then holds ``model.onnx`` (what ``scan --model MODEL_DIR`` and ``deblur --model
MODEL_DIR`` load), ``MODEL_CARD.md``, ``evaluation.json``, ``payloads.txt``, ``init.pt`` and ``run/``
(the training run: config, metrics, checkpoints).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError

#: The shipped scan generator's architecture (``configs/shipped/scan-wiener-qrunet.yaml``; a test
#: keeps the two equal).
SCAN_GENERATOR_ARGS = {
    "kernel": {"width": 24, "hidden": 256},
    "refiner": {
        "width": 32,
        "levels": 2,
        "blocks_per_level": 1,
        "bottleneck_blocks": 2,
        "global_context": True,
        "unshuffle": 2,
    },
}
DEFAULT_STEPS = 1500
#: Draws per enrolled code and blur cell in the evaluation.
GRID_DRAWS = 2
GRID_SEED = 31_337


def enrolled_grid(payloads: Sequence[str], draws: int = GRID_DRAWS, seed: int = GRID_SEED) -> list:
    """The ``paper80`` grid over the enrolled codes: each code at 80x80 (quiet zone 4, ECC M) under every
    (motion length, Gaussian sigma) cell, ``draws`` times at random angles and noise; CropItems."""
    from qrdeblur.synth import degrade, kernels
    from qrdeblur.synth.paper80 import PAPER80_LENGTHS, PAPER80_SIGMAS, CropItem
    from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

    rng = np.random.default_rng(seed)
    items = []
    for length in PAPER80_LENGTHS:
        for sigma in PAPER80_SIGMAS:
            for payload in payloads:
                sharp = render_matrix(module_matrix(make_symbol(QRSpec(payload, None, "M")), 4), size_px=80)
                for _ in range(draws):
                    psf = kernels.compose(kernels.motion(length, float(rng.uniform(0, 180))), kernels.gaussian(sigma))
                    blurred, _ = degrade.gaussian_noise(degrade.convolve(sharp, psf), rng, 0.01)
                    cell = f"len{length}-s{sigma}"
                    items.append(CropItem(degrade.to_uint8(blurred), degrade.to_uint8(sharp), [payload], cell))
    return items


def grid_rates(model_path: str | Path, items: list) -> dict[str, float]:
    """Share of ``items`` zxing-cpp decodes after ``model_path`` restores them, per cell and ``all``."""
    from qrdeblur.decode import get_decoder
    from qrdeblur.metrics.decoding import decodes_correctly
    from qrdeblur.restore.deblurrer import Deblurrer

    deblurrer = Deblurrer.load(model_path)
    decoder = get_decoder("zxing-cpp")
    restored = deblurrer.deblur_batch([it.blurred for it in items])
    hits: dict[str, list[bool]] = {}
    for item, image in zip(items, restored, strict=True):
        ok = decodes_correctly(image, item.payloads, decoder)
        hits.setdefault(item.cell, []).append(ok)
        hits.setdefault("all", []).append(ok)
    return {cell: round(float(np.mean(v)), 4) for cell, v in hits.items()}


def enroll_config(out: Path, steps: int, seed: int, threads: int, batch_size: int, val_count: int = 64):
    """The fine-tuning run's :class:`~qrdeblur.train.config.TrainConfig` (saved with the run)."""
    from qrdeblur.train.config import config_from_dict

    return config_from_dict(
        {
            "seed": seed,
            "steps": steps,
            "threads": threads,
            "log_every": 25,
            "checkpoint_every": 50,
            "init": str(out / "init.pt"),
            "generator": {"name": "wiener-qrunet", "args": SCAN_GENERATOR_ARGS},
            "data": {"preset": "clean", "size": 80, "grey": True, "batch_size": batch_size,
                     "payloads": str(out / "payloads.txt")},
            "loss": {"l1": 1.0, "binary": 1.0, "edge": 0.1},
            "optim": {"lr_g": 3e-4, "cosine": True, "min_lr_ratio": 0.05},
            "val": {"every": max(50, steps // 4), "count": val_count, "preset": "clean", "seed": 777},
            "kernel": {"steps": 0},
        }
    )


def _card(out: Path, command: str, payloads: list[str], shipped: dict, tuned: dict, info: dict) -> str:
    cells = [c for c in shipped if c != "all"]
    rows = "\n".join(f"| {c} | {shipped[c]:.0%} | {tuned[c]:.0%} |" for c in cells)
    listed = "\n".join(f"- `{p}`" for p in payloads[:10])
    if len(payloads) > 10:
        listed += f"\n- ... ({len(payloads)} in all)"
    return f"""# Enrolled model: {out.name}

**What it is.** The shipped scan generator (`scan-wiener-qrunet.onnx`: blur estimator -> Wiener ->
U-Net refiner) with its refiner fine-tuned on {len(payloads)} enrolled code(s), for `qrdeblur scan --model
{out}` and `qrdeblur deblur --model {out}`. It restores these codes better than the shipped model and
may restore other codes worse.

**Enrolled codes** (`payloads.txt`):
{listed}

**How it was made** ({info['date']}; {info['steps']} steps of batch {info['batch_size']}, seed {info['seed']},
{info['threads']} thread(s), {info['minutes']:.1f} min; the rebuilt starting network matched the shipped file to
{info['parity']:.4f} mean restored-pixel difference):

```bash
{command}
```

`run/config.yaml` is the fine-tuning run's resolved configuration: the `clean` preset (whole codes,
motion then Gaussian blur, light noise) drawing only the enrolled codes, L1 1.0 + binary 1.0 + Sobel
edge 0.1, Adam 3e-4 cosine to 5 %, the blur estimator kept as shipped. `model.onnx` is `run/best.pt`
exported {info['precision']}.

**Numbers.** The enrolled codes on the `paper80` blur grid (80x80, quiet zone 4, ECC M, motion length
0-20 px at random angles x Gaussian sigma 1-3, noise 0.01; {info['draws']} draws per code and cell,
seed {GRID_SEED}), restored and read by zxing-cpp (`evaluation.json`):

| cell | shipped `scan-wiener-qrunet` | this model |
|---|---|---|
{rows}
| **all** | **{shipped['all']:.0%}** | **{tuned['all']:.0%}** |
"""


def _quantize(float_onnx: Path, model: Path, batches: tuple[int, int] | None) -> None:
    """``float_onnx`` quantised to ``model`` as ``qrdeblur export --int8`` does (its checks included)."""
    from qrdeblur.export.quantize import quantize_onnx

    with contextlib.redirect_stdout(sys.stderr):  # onnxruntime's calibration prints its progress
        if batches is None:
            quantize_onnx(float_onnx, model)
        else:
            quantize_onnx(float_onnx, model, calibration_batches=batches[0], check_batches=batches[1])
    float_onnx.unlink()


def enroll(
    payloads: Sequence[str],
    out: str | Path,
    steps: int = DEFAULT_STEPS,
    resume: bool = False,
    seed: int = 0,
    threads: int = 1,
    batch_size: int = 16,
    draws: int = GRID_DRAWS,
    base: str | Path | None = None,
    progress: Callable[[int, int, dict], None] | None = None,
    command: str | None = None,
    val_count: int = 64,
    quantize_batches: tuple[int, int] | None = None,
    int8: bool = True,
) -> dict:
    """Fine-tune the shipped scan generator on ``payloads`` into the folder ``out`` (module docstring);
    returns the evaluation (decode rates of the shipped and the new model on the enrolled grid).

    Refuses a non-empty ``out`` unless ``resume`` (then the training continues from its last checkpoint
    and the later stages are redone). ``val_count`` validation pairs; ``quantize_batches``: the int8
    export's (calibration, check) batches (None: ``qrdeblur export --int8``'s); ``int8`` False keeps the
    refiner float (twice as slow to run, no int8 check)."""
    import torch

    from qrdeblur.export.onnx import export_onnx
    from qrdeblur.export.onnx_import import generator_from_onnx
    from qrdeblur.restore.deblurrer import scan_model_path
    from qrdeblur.train.trainer import train

    out = Path(out)
    payloads = list(dict.fromkeys(payloads))
    if not payloads:
        raise UsageError("enroll: no payloads")
    if steps < 1:
        raise UsageError(f"enroll: steps must be >= 1, got {steps}")
    run = out / "run"
    if resume:
        if not (run / "last.pt").exists():
            raise UsageError(f"{out}: nothing to resume (no run/last.pt)")
    elif out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: model folder exists and is not empty; use --resume or another --out")
    from qrdeblur.synth.render import QRSpec, make_symbol

    for p in payloads:
        make_symbol(QRSpec(p, None, "M"))  # a payload no QR code holds fails here, before any work
    out.mkdir(parents=True, exist_ok=True)
    base = Path(base) if base is not None else scan_model_path()
    t0 = time.time()
    if not resume:
        (out / "payloads.txt").write_text("".join(p + "\n" for p in payloads), encoding="utf-8")
        generator = generator_from_onnx(base, SCAN_GENERATOR_ARGS)
        state = {"model": generator.state_dict(), "model_name": "wiener-qrunet", "onnx_parity": generator.onnx_parity}
        torch.save(state, out / "init.pt")
    parity = float(torch.load(out / "init.pt", map_location="cpu", weights_only=False)["onnx_parity"])
    cfg = enroll_config(out, steps, seed, threads, batch_size, val_count)
    train(cfg, run, resume=resume, progress=progress)
    float_onnx, model = out / "model-float.onnx", out / "model.onnx"
    for f in (float_onnx, model):
        f.unlink(missing_ok=True)
    best = run / "best.pt" if (run / "best.pt").exists() else run / "last.pt"
    export_onnx(best, float_onnx)
    if not int8:
        float_onnx.rename(model)
    else:
        _quantize(float_onnx, model, quantize_batches)
    items = enrolled_grid(payloads, draws)

    shipped, tuned = grid_rates(base, items), grid_rates(model, items)
    info = {
        "date": time.strftime("%Y-%m-%d"), "steps": steps, "batch_size": batch_size, "seed": seed,
        "threads": threads, "minutes": (time.time() - t0) / 60, "parity": parity, "draws": draws,
        "precision": "with the refiner in int8, as the shipped models are" if int8 else "in float (--no-int8)",
    }
    command = command or shlex.join(
        ["qrdeblur", "enroll", str(out / "payloads.txt"), "--out", str(out), "--steps", str(steps)]
    )
    evaluation = {"shipped": shipped, "enrolled": tuned, "codes": len(payloads), "items": len(items), **info}
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(_card(out, command, payloads, shipped, tuned, info), encoding="utf-8")
    return evaluation
