"""The GAN training loop: one step = update G on its weighted terms, then D on real and fake.

Order (BasicSR's): freeze D, update G on pixel + QR + detail + adversarial terms, unfreeze D, update
D on the sharp images and on ``fake.detach()``. Each term is logged under its own name. The run
folder gets the resolved config, the command line, the library versions (``environment.jsonl``),
``metrics.csv``, atomic checkpoints (``last.pt``, and ``best.pt`` by validation decode rate) and the
paper's figures (``plots.py``).

Phases: a ``wiener-qrunet`` run first teaches its blur estimator (``kernel_phase.py``); every run then
trains ``steps`` GAN steps on ``data``; an optional ``finish`` phase adds ``finish.steps`` steps on one
framing with a fresh optimiser (steps are numbered on: ``steps + 1 ... steps + finish.steps``).

Several processes (``torchrun --nproc_per_node N`` or ``qrdeblur train --nproc N``; ``distributed.py``):
both networks are wrapped in DistributedDataParallel, each process draws its own pairs (seed +
rank) in batches of ``data.batch_size``, so a step sees ``N x batch_size`` pairs. Only rank 0 writes
the run folder and validates; the checkpoints hold the plain modules' weights, so they load as a
single process's do, and every process resumes from the same ``last.pt``.

Device (config ``device``, ``distributed.resolve_device``): ``auto`` trains a single process on a CUDA
GPU when torch sees one, else on the CPU; ``cpu`` and ``cuda`` force it. The networks, the batches,
the losses (the detail loss's VGG16) and the validation forward pass run there; decoding and the
scores stay on the CPU. On a GPU the run lets cuDNN pick its fastest convolution algorithms
(``cudnn.benchmark``: the shapes never change) and allows TF32 tensor-core arithmetic in
convolutions (cuDNN's default) and matrix products (``float32_matmul_precision("high")``): about
10 mantissa bits in the products instead of 23, several times the FP32 speed on an H100. Checkpoints
always hold CPU tensors, so they load anywhere (``load_generator``, ``qrdeblur export``, ``paper_table``).
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from qrdeblur.decode import get_decoder
from qrdeblur.errors import UsageError
from qrdeblur.losses.adversarial import AdversarialLoss
from qrdeblur.losses.perceptual import DetailLoss
from qrdeblur.losses.pixel import L1Loss
from qrdeblur.losses.qr import BinaryLoss, EdgeLoss
from qrdeblur.models.checkpoint import initial_state, load_initial_state
from qrdeblur.models.registry import create_model
from qrdeblur.synth.payloads import read_payload_file
from qrdeblur.synth.presets import get_preset
from qrdeblur.train import distributed
from qrdeblur.train.config import TrainConfig, config_to_dict, config_yaml
from qrdeblur.train.data import SynthFolder, SynthStream
from qrdeblur.train.environment import record_environment
from qrdeblur.train.evaluate import evaluate, make_validation_set
from qrdeblur.train.kernel_phase import FINISH_KERNEL_FILE, FINISH_KERNEL_METRICS, train_estimator
from qrdeblur.train.plots import plot_run

METRIC_COLUMNS = [
    "step", "elapsed_s", "lr_g", "g_total", "g_l1", "g_binary", "g_edge", "g_detail", "g_adv", "d_loss",
    "val_qr_mae", "val_psnr", "val_decode_rate",
]


def build_generator(cfg: TrainConfig) -> torch.nn.Module:
    """The generator named in the config (registry name + args)."""
    return create_model(cfg.generator.name, **cfg.generator.args)


class Losses:
    """The generator's weighted loss terms and the adversarial objective, built from the config."""

    def __init__(self, cfg: TrainConfig):
        lc = cfg.loss
        self.l1 = L1Loss(lc.l1) if lc.l1 > 0 else None
        self.binary = BinaryLoss(lc.binary) if lc.binary > 0 else None
        self.edge = EdgeLoss(lc.edge) if lc.edge > 0 else None
        self.detail = (
            DetailLoss(lc.detail.weight, weights=lc.detail.weights, max_images=lc.detail.max_images)
            if lc.detail.weight > 0
            else None
        )
        adv = lc.adversarial
        self.adv = AdversarialLoss(adv.kind, adv.weight, gp_weight=adv.gp_weight) if adv.weight > 0 else None
        self.adv_start = adv.start_step
        self.clip = adv.clip

    def generator_terms(self, logits, fake, sharp, d_fake, detail: bool = True) -> dict[str, torch.Tensor]:
        terms = {}
        if self.l1:
            terms["g_l1"] = self.l1(fake, sharp)
        if self.binary:
            terms["g_binary"] = self.binary(logits, sharp)
        if self.edge:
            terms["g_edge"] = self.edge(fake, sharp)
        if self.detail and detail:
            terms["g_detail"] = self.detail(fake, sharp)
        if d_fake is not None:
            terms["g_adv"] = self.adv.generator_loss(d_fake)
        return terms

    def to(self, device: torch.device) -> Losses:
        """Move the terms that hold tensors (the detail loss's VGG16) to ``device``."""
        for term in (self.l1, self.binary, self.edge, self.detail):
            if term is not None:
                term.to(device)
        return self


def _to_cpu(obj):
    """``obj`` with every tensor inside (dicts, lists, tuples) copied to the CPU.

    A state dict keeps its type and its ``_metadata`` (the module versions ``load_state_dict`` reads).
    """
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        out = type(obj)((k, _to_cpu(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _use_device(device: torch.device) -> None:
    """The GPU settings described in the module docstring (nothing on the CPU)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = True
        torch.set_float32_matmul_precision("high")


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _lr_factor(cfg: TrainConfig, step: int) -> float:
    o = cfg.optim
    if step >= cfg.steps and cfg.finish.steps:  # finish phase: its own cosine from its own lr
        t = min(1.0, (step - cfg.steps) / cfg.finish.steps)
        return o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))
    if o.cosine:
        t = min(1.0, step / max(1, cfg.steps))
        return o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))
    return max(o.min_lr_ratio, o.decay ** (step // max(1, o.decay_every)))


def _loader(cfg: TrainConfig, epoch_offset: int, payloads, rank: int = 0, world_size: int = 1) -> DataLoader:
    """Batches for the phase that step ``epoch_offset`` belongs to (the finish phase draws its preset).

    Each of several processes synthesises from seed + ``rank``, or reads its own share of a folder.
    """
    d = cfg.data
    seed = cfg.seed + rank
    if epoch_offset >= cfg.steps and cfg.finish.steps:
        ds = SynthStream(cfg.finish.preset, seed, d.size, d.grey, payloads=payloads, epoch_offset=epoch_offset)
        return DataLoader(ds, batch_size=d.batch_size, num_workers=d.workers, persistent_workers=d.workers > 0)
    if d.synth_dir:
        ds = SynthFolder(d.synth_dir, d.grey)
        if world_size > 1:
            sampler = DistributedSampler(ds, num_replicas=world_size, rank=rank, shuffle=True,
                                         seed=cfg.seed + epoch_offset, drop_last=True)
            return DataLoader(ds, batch_size=d.batch_size, sampler=sampler, drop_last=True, num_workers=d.workers,
                              persistent_workers=d.workers > 0)
        g = torch.Generator().manual_seed(cfg.seed + epoch_offset)
        return DataLoader(ds, batch_size=d.batch_size, shuffle=True, drop_last=True, num_workers=d.workers,
                          generator=g, persistent_workers=d.workers > 0)
    ds = SynthStream(d.preset, seed, d.size, d.grey, payloads=payloads, epoch_offset=epoch_offset)
    return DataLoader(ds, batch_size=d.batch_size, num_workers=d.workers, persistent_workers=d.workers > 0)


def _batches(loader: DataLoader):
    epoch = 0
    while True:  # a folder dataset ends each epoch; the stream never does
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(epoch)  # a new order every epoch, the same on every process
        yield from loader
        epoch += 1


def _continue_estimator(G, cfg: TrainConfig, out: Path, progress, ctx: distributed.Context) -> None:
    """The finish phase's estimator continuation (``finish.kernel_steps``), then freeze it again.

    With several processes rank 0 trains it and the others load the file it saves.
    """
    G.estimator_frozen = False
    G.estimator.requires_grad_(True)

    def kernel_progress(step: int, total: int, logs: dict) -> None:
        if progress:
            progress(step, total, {"g": logs["kernel_loss"], "phase": "kernel finish"})

    for turn in (True, False):
        if turn == ctx.is_main:
            train_estimator(G.estimator, out, seed=cfg.seed, steps=cfg.finish.kernel_steps,
                            batch_size=cfg.kernel.batch_size, lr=cfg.finish.kernel_lr, preset=cfg.finish.preset,
                            size=cfg.data.size, progress=kernel_progress, file=FINISH_KERNEL_FILE,
                            metrics=FINISH_KERNEL_METRICS, shard=1)
        distributed.barrier(ctx)
    G.freeze_estimator()


def check_run_folder(out: str | Path, resume: bool) -> None:
    """Refuse a resume without ``last.pt``, and a fresh run into a non-empty folder."""
    out = Path(out)
    if resume:
        if not (out / "last.pt").exists():
            raise UsageError(f"{out}: nothing to resume (no last.pt)")
    elif out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: run folder exists and is not empty; use --resume or another --out")


def _save_resolved_config(cfg: TrainConfig, out: Path, resume: bool) -> None:
    """Write ``config.yaml``; a resume with a changed config keeps the old one as ``config.before-resume-N.yaml``."""
    path = out / "config.yaml"
    text = config_yaml(cfg)
    if resume and path.exists():
        if path.read_text(encoding="utf-8") == text:
            return
        n = 1
        while (out / f"config.before-resume-{n}.yaml").exists():
            n += 1
        os.replace(path, out / f"config.before-resume-{n}.yaml")
    path.write_text(text, encoding="utf-8")


def train(
    cfg: TrainConfig,
    out: str | Path,
    resume: bool = False,
    progress: Callable[[int, int, dict], None] | None = None,
) -> dict:
    """Train per ``cfg`` into run folder ``out``; returns the last validation metrics.

    Refuses to write into a non-empty folder unless ``resume`` (then it continues from ``last.pt``).
    ``progress(step, total, logs)`` is called after every step (the CLI draws a bar with it).
    Started by torchrun, it trains with the other processes (module docstring); the processes other
    than rank 0 return only ``{"step": ...}``.
    """
    ctx = distributed.init(cfg.device)
    try:
        return _train(cfg, Path(out), resume, progress, ctx)
    finally:
        distributed.cleanup(ctx)


def _train(cfg: TrainConfig, out: Path, resume: bool, progress, ctx: distributed.Context) -> dict:
    main = ctx.is_main
    ckpt_path = out / "last.pt"
    check_run_folder(out, resume)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed % 2**32)
    torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)  # denormal activations can slow CPU convolutions several-fold
    _use_device(ctx.device)
    payloads = None
    if cfg.data.payloads:
        payloads = read_payload_file(cfg.data.payloads)

    G = build_generator(cfg)
    if cfg.init and not resume:  # fine-tuning: resume restores the run's own weights instead
        load_initial_state(G, initial_state(cfg.init))
    losses = Losses(cfg)
    D = None
    if losses.adv is not None:
        D = create_model(cfg.discriminator.name, **cfg.discriminator.args)
    o = cfg.optim
    if cfg.finish.steps:
        get_preset(cfg.finish.preset)  # an unknown preset fails here, before anything is written
    distributed.barrier(ctx)  # every process has checked the folder before rank 0 writes into it
    if main:
        out.mkdir(parents=True, exist_ok=True)  # only now: a bad model or loss setting leaves nothing behind
        _save_resolved_config(cfg, out, resume)
    if hasattr(G, "freeze_estimator"):  # wiener-qrunet: phase 1, the blur estimator (loads kernel.pt if done)
        k = cfg.kernel

        def kernel_progress(step: int, total: int, logs: dict) -> None:
            if progress:
                progress(step, total, {"g": logs["kernel_loss"], "phase": "kernel"})

        for turn in (True, False):  # several processes: rank 0 trains it, then the others load kernel.pt
            if turn == main:
                train_estimator(G.estimator, out, seed=cfg.seed, steps=k.steps, batch_size=k.batch_size, lr=k.lr,
                                preset=k.preset, size=cfg.data.size, progress=kernel_progress)
            distributed.barrier(ctx)
        G.freeze_estimator()
        torch.manual_seed(cfg.seed + 1)  # phase 2 starts from a known state however phase 1 went
    G.to(ctx.device)
    losses.to(ctx.device)
    if D is not None:
        D.to(ctx.device)
    trainable = [p for p in G.parameters() if p.requires_grad]
    opt_g = torch.optim.Adam(trainable, lr=o.lr_g, betas=(o.beta1, o.beta2))
    total = cfg.steps + cfg.finish.steps
    opt_d = torch.optim.Adam(D.parameters(), lr=o.lr_d, betas=(o.beta1, o.beta2)) if D is not None else None

    step, elapsed_before, best = 0, 0.0, None
    if resume:  # every process loads the same last.pt
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        G.load_state_dict(ck["model"])
        opt_g.load_state_dict(ck["optimizer"])
        if D is not None and ck.get("discriminator"):
            D.load_state_dict(ck["discriminator"])
            opt_d.load_state_dict(ck["optimizer_d"])
        step, elapsed_before, best = ck["step"], ck.get("elapsed_s", 0.0), ck.get("best")
        torch.set_rng_state(ck["torch_rng"])
        if ctx.device.type == "cuda" and ck.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(ck["cuda_rng"], ctx.device)
    # the networks the steps run through: DistributedDataParallel averages their gradients over the
    # processes; G and D stay the plain modules (checkpoints, validation, the frozen D of the G update)
    g_net = distributed.wrap(G, ctx)
    d_net = distributed.wrap(D, ctx) if D is not None else None
    if main:
        command = distributed.command_line(ctx)
        with open(out / "command.txt", "a", encoding="utf-8") as fh:
            fh.write(command + "\n")
        record_environment(out, cfg.threads, world_size=ctx.world_size, command=command, device=ctx.device)

    fh = writer = val = decoder = samples = None
    samples_path = out / "samples.npz"
    n_samples = 0
    if main:
        val = make_validation_set(cfg.val.preset, cfg.val.count, cfg.val.seed, cfg.data.size, cfg.data.grey,
                                  payloads)
        decoder = get_decoder(cfg.val.decoder)
        metrics_path = out / "metrics.csv"
        new_file = not metrics_path.exists()
        fh = open(metrics_path, "a", newline="", encoding="utf-8")
        writer = csv.DictWriter(fh, fieldnames=METRIC_COLUMNS)
        if new_file:
            writer.writeheader()
        samples = dict(np.load(samples_path)) if (resume and samples_path.exists()) else {}
        n_samples = min(cfg.val.sample_count, len(val.payloads))
        samples.setdefault("blurred", val.blurred[:n_samples].numpy())
        samples.setdefault("sharp", val.sharp[:n_samples].numpy())

    def checkpoint(path: Path, val_metrics: dict | None = None) -> None:
        if not main:
            return
        cpu = _to_cpu if ctx.device.type != "cpu" else (lambda state: state)  # CPU runs: saved as before
        _atomic_save(
            {
                "model": cpu(G.state_dict()),
                "optimizer": cpu(opt_g.state_dict()),
                "discriminator": cpu(D.state_dict()) if D is not None else None,
                "optimizer_d": cpu(opt_d.state_dict()) if opt_d is not None else None,
                "model_name": cfg.generator.name,
                "model_args": cfg.generator.args,
                "step": step,
                "elapsed_s": elapsed_before + time.time() - t0,
                "config": config_to_dict(cfg),
                "best": best,
                "val": val_metrics,
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(ctx.device) if ctx.device.type == "cuda" else None,
                "world_size": ctx.world_size,
            },
            path,
        )

    def validate() -> dict:
        nonlocal best
        if not main:  # the other processes go on to the next step and wait there for rank 0
            return {}
        m = evaluate(G, val, decoder)
        restored = m.pop("restored")
        samples[f"step_{step:07d}"] = restored[:n_samples].numpy()
        np.savez_compressed(samples_path, **samples)
        writer.writerow({"step": step, "elapsed_s": round(elapsed_before + time.time() - t0, 1),
                         "val_qr_mae": round(m["qr_mae"], 4), "val_psnr": round(m["psnr"], 3),
                         "val_decode_rate": round(m["decode_rate"], 4)})
        fh.flush()
        score = (m["decode_rate"], -m["qr_mae"])
        if best is None or score > tuple(best):
            best = list(score)
            checkpoint(out / "best.pt", m)
        return m

    t0 = time.time()
    loader = _loader(cfg, epoch_offset=step, payloads=payloads, rank=ctx.rank, world_size=ctx.world_size)
    loader_finishing = step >= cfg.steps and cfg.finish.steps > 0
    batches = _batches(loader)
    running: dict[str, list[float]] = defaultdict(list)
    last_val: dict = {}
    deadline = t0 + cfg.max_minutes * 60 if cfg.max_minutes else None
    if step == 0:
        last_val = validate()
    G.train()
    while step < total:
        finishing = step >= cfg.steps
        if finishing and step == cfg.steps:  # the finish phase begins: fresh optimiser, its own data
            if cfg.finish.kernel_steps and hasattr(G, "freeze_estimator"):
                _continue_estimator(G, cfg, out, progress, ctx)
            opt_g = torch.optim.Adam(trainable, lr=cfg.finish.lr, betas=(o.beta1, o.beta2))
            if not loader_finishing:  # (a run resumed here already draws the finish preset)
                del batches, loader
                loader = _loader(cfg, epoch_offset=step, payloads=payloads, rank=ctx.rank,
                                 world_size=ctx.world_size)
                batches = _batches(loader)
                loader_finishing = True
        base_lr_g = cfg.finish.lr if finishing else o.lr_g
        blurred, sharp = next(batches)
        blurred, sharp = blurred.to(ctx.device), sharp.to(ctx.device)
        factor = _lr_factor(cfg, step)
        for group in opt_g.param_groups:
            group["lr"] = base_lr_g * factor
        if opt_d is not None:
            for group in opt_d.param_groups:
                group["lr"] = o.lr_d * factor
        adv_on = D is not None and step >= losses.adv_start and (not finishing or cfg.finish.adversarial)

        # 1. generator update, discriminator frozen (the plain D: its weights get no gradient to sync)
        logits = g_net(blurred)
        fake = torch.sigmoid(logits)
        d_fake = None
        if adv_on:
            D.requires_grad_(False)
            d_fake = D(fake)
        terms = losses.generator_terms(logits, fake, sharp, d_fake, detail=not finishing or cfg.finish.detail)
        g_total = sum(terms.values())
        opt_g.zero_grad(set_to_none=True)
        g_total.backward()
        if o.grad_clip:
            torch.nn.utils.clip_grad_norm_(trainable, o.grad_clip)
        opt_g.step()

        # 2. discriminator update on real and detached fake
        if adv_on:
            D.requires_grad_(True)
            fake_d = fake.detach()
            d_loss = losses.adv.discriminator_loss(d_net(sharp), d_net(fake_d))
            if losses.adv.kind == "wgan-gp":
                d_loss = d_loss + losses.adv.gradient_penalty(d_net, sharp, fake_d)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            if losses.clip:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-losses.clip, losses.clip)
            running["d_loss"].append(float(d_loss.detach()))

        step += 1
        running["g_total"].append(float(g_total.detach()))
        for k, v in terms.items():
            running[k].append(float(v.detach()))
        if step % cfg.log_every == 0 or step == total:
            means = distributed.average({k: float(np.mean(v)) for k, v in running.items()}, ctx)
            if main:
                row = {k: round(v, 6) for k, v in means.items()}
                row.update(step=step, elapsed_s=round(elapsed_before + time.time() - t0, 1),
                           lr_g=base_lr_g * factor)
                writer.writerow(row)
                fh.flush()
            running.clear()
        if step % cfg.val.every == 0 or step in (cfg.steps, total):
            last_val = validate()
        if step % cfg.checkpoint_every == 0 or step in (cfg.steps, total):
            checkpoint(ckpt_path, last_val)
        if progress:
            progress(step, total, {"g": float(g_total.detach()), **last_val})
        if deadline and distributed.any_rank(time.time() > deadline, ctx):
            break
    if step % cfg.val.every and step not in (cfg.steps, total):
        last_val = validate()
    checkpoint(ckpt_path, last_val)
    if main:
        fh.close()
        plot_run(out)
    distributed.barrier(ctx)  # the run folder is complete when any process returns
    return {"step": step, **last_val}
