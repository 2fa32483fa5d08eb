"""What one training step of the full-width paper configs costs: FLOPs, memory, and CPU seconds.

Two parts, each printed as JSON (and written to ``--out`` when given):

- ``estimate``: counts the floating-point operations of one training step of a config (generator
  forward and backward on its terms, critic forward and backward on real and fake, the detail loss's
  VGG16) with ``torch.utils.flop_counter.FlopCounterMode`` on a batch of ``--flop-batch`` images
  (FLOPs grow linearly with the batch, so they are scaled to ``data.batch_size``); sums the bytes of
  the tensors autograd keeps for the backward pass (activation memory) with
  ``torch.autograd.graph.saved_tensors_hooks``; and projects GPU seconds per step from assumed
  sustained rates (``--gpu-tflops`` for the convolutions and matrix products, ``--gpu-tbps`` for
  the memory traffic of the element-wise layers), which are assumptions, not measurements.
- ``measure``: trains each config for ``--steps`` steps through ``qrdeblur.train.trainer.train``
  (validation on 2 images only at the first and last step, no checkpoint in between) and reports
  the wall and CPU seconds of the steps between the first and the last (which carry validation and
  checkpoints). CPU seconds are this process's (its threads), not the data workers'.

Run (the four full-width configs, one after the other; a width 1.0 step takes ~20 s on 2 cores)::

    PYTHONPATH=src python research/paper_fullwidth_cost.py estimate configs/paper-full/*.yaml
    PYTHONPATH=src python research/paper_fullwidth_cost.py measure configs/paper-full/*.yaml --steps 5 --threads 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from qrdeblur.models.registry import create_model
from qrdeblur.train.config import config_from_dict, config_to_dict, load_config
from qrdeblur.train.trainer import Losses, build_generator, train


def count_parameters(module: torch.nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def step_cost(config: Path, batch: int) -> dict:
    """FLOPs and saved-activation bytes of one training step of ``config`` at ``batch`` images."""
    cfg = load_config(config)
    torch.manual_seed(0)
    G = build_generator(cfg)
    losses = Losses(cfg)
    D = create_model(cfg.discriminator.name, **cfg.discriminator.args) if losses.adv is not None else None
    channels = 1 if cfg.data.grey else 3
    blurred = torch.rand(batch, channels, cfg.data.size, cfg.data.size)
    sharp = torch.rand_like(blurred)
    saved = {"bytes": 0}

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved["bytes"] += t.numel() * t.element_size()
        return t

    with FlopCounterMode(display=False) as counter:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            logits = G(blurred)
            fake = torch.sigmoid(logits)
            d_fake = None
            if D is not None:
                D.requires_grad_(False)
                d_fake = D(fake)
            terms = losses.generator_terms(logits, fake, sharp, d_fake)
        g_saved = saved["bytes"]
        sum(terms.values()).backward()
        if D is not None:
            D.requires_grad_(True)
            d_loss = losses.adv.discriminator_loss(D(sharp), D(fake.detach()))
            d_loss.backward()
    by_module = counter.get_flop_counts()
    total = counter.get_total_flops()
    return {"flops": total, "g_saved_bytes": g_saved, "modules": {k: sum(v.values()) for k, v in by_module.items()
                                                               if k.count(".") <= 1}}


def estimate(configs: list[Path], flop_batch: int, tflops: float, tbps: float, traffic_factor: float) -> list[dict]:
    rows = []
    for path in configs:
        cfg = load_config(path)
        batch = cfg.data.batch_size
        cost = step_cost(path, flop_batch)
        scale = batch / flop_batch
        G = build_generator(cfg)
        D = create_model(cfg.discriminator.name, **cfg.discriminator.args)
        g_fwd = FlopCounterMode(display=False)
        with g_fwd, torch.no_grad():
            G.eval()(torch.rand(1, 1 if cfg.data.grey else 3, cfg.data.size, cfg.data.size))
        params = count_parameters(G) + count_parameters(D)
        flops = cost["flops"] * scale
        saved = cost["g_saved_bytes"] * scale
        # parameters, their gradients and Adam's two moments, float32
        state_bytes = 4 * 4 * params
        compute_s = flops / (tflops * 1e12)
        memory_s = traffic_factor * saved / (tbps * 1e12)
        rows.append({
            "config": str(path),
            "batch": batch,
            "g_params": count_parameters(G),
            "d_params": count_parameters(D),
            "g_forward_gmac_per_image": round(g_fwd.get_total_flops() / 2e9, 2),
            "step_tflop": round(flops / 1e12, 3),
            "step_tflop_by_module": {k: round(v * scale / 1e12, 4) for k, v in cost["modules"].items()},
            "saved_activations_gib": round(saved / 2**30, 2),
            "weights_grads_adam_gib": round(state_bytes / 2**30, 3),
            "assumed_gpu_tflops": tflops,
            "assumed_gpu_tbps": tbps,
            "traffic_factor": traffic_factor,
            "projected_gpu_s_per_step": round(compute_s + memory_s, 4),
            "projected_gpu_s_per_step_parts": {"compute": round(compute_s, 4), "memory": round(memory_s, 4)},
        })
        print(json.dumps(rows[-1]), flush=True)
    return rows


def measure(configs: list[Path], steps: int, threads: int | None) -> list[dict]:
    rows = []
    for path in configs:
        cfg = load_config(path)
        values = config_to_dict(cfg)
        values.update(steps=steps, log_every=1, checkpoint_every=10**9, max_minutes=None, device="cpu")
        if threads:
            values["threads"] = threads
        values["val"].update(every=10**9, count=2, sample_count=1)
        marks: list[tuple[int, float, float]] = []

        def progress(step: int, total: int, logs: dict, marks=marks) -> None:
            marks.append((step, time.perf_counter(), time.process_time()))

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            train(config_from_dict(values), Path(tmp) / "run", progress=progress)
            total_s = time.perf_counter() - t0
        # steps 2 .. steps-1: between the progress calls of step 1 and step steps-1
        first, last = marks[0], marks[-2]
        n = last[0] - first[0]
        rows.append({
            "config": str(path),
            "threads": values["threads"],
            "steps_timed": n,
            "wall_s_per_step": round((last[1] - first[1]) / n, 2),
            "cpu_s_per_step": round((last[2] - first[2]) / n, 2),
            "run_wall_s": round(total_s, 1),
            "projected_hours_1500_steps": round(1500 * (last[1] - first[1]) / n / 3600, 1),
        })
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("estimate", "measure"))
    parser.add_argument("configs", nargs="+", type=Path)
    parser.add_argument("--steps", type=int, default=5, help="measure: steps per config (>= 3)")
    parser.add_argument("--threads", type=int, default=None, help="measure: torch threads (default the config's)")
    parser.add_argument("--flop-batch", type=int, default=1, help="estimate: images in the counted step")
    parser.add_argument("--gpu-tflops", type=float, default=150.0,
                        help="estimate: assumed sustained TF32 TFLOP/s of the convolutions (H100: 495 peak dense)")
    parser.add_argument("--gpu-tbps", type=float, default=2.0,
                        help="estimate: assumed sustained memory TB/s (H100 SXM: 3.35 peak)")
    parser.add_argument("--traffic-factor", type=float, default=6.0,
                        help="estimate: memory traffic per saved activation byte (reads and writes, fwd + bwd)")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.what == "measure":
        if args.steps < 3:
            parser.error("--steps must be >= 3")
        rows = measure(args.configs, args.steps, args.threads)
    else:
        torch.set_num_threads(args.threads or torch.get_num_threads())
        rows = estimate(args.configs, args.flop_batch, args.gpu_tflops, args.gpu_tbps, args.traffic_factor)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
