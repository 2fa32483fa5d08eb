"""Train VGG16's feature layers (up to block3_conv3) on synthetic QR codes, for the detail loss offline.

The paper's detail loss (Eq. 7) compares ImageNet VGG16 ``block3_conv3`` features, and no ImageNet
weights can be fetched here. This script makes a stand-in that has at least seen QR codes: the same
network (:class:`qrdeblur.models.vgg.VGG16Features`, torchvision's ``features.N`` layout) plus a small
head (global average pool + one linear layer), trained from scratch to tell **how blurred** an 80x80
RGB code image is, in four classes of blur radius.

Why blur classification rather than restoration or the code's version: the detail loss has to
separate a generator's output from the sharp target, i.e. respond to residual blur, and a network
that must grade blur learns exactly edge- and module-sharpness detectors. It is also cheap (one
forward per image, a cross-entropy head) and gives one honest number (held-out accuracy), where a
restoration head would need a decoder half as large as the trunk on a one-thread CPU budget.

Data, drawn on the fly from one seed (the package's renderers, never a benchmark's payload, and not
the paper's 3 enrolled codes either): a random payload (alphanumeric, bytes or URL, versions 1-4, any
ECC level, a random mask), quiet zone 1-4 modules, rendered to 80x80 with dark level 0-0.25 and light
level 0.75-1, blurred by ``motion(LEN, THETA)`` then ``gaussian(sigma)`` with LEN 0-20 px at any angle
and sigma 0-3 px, Gaussian noise std 0-0.02, 8-bit, three equal channels (as the ``paper`` preset).
The class is that of the composed kernel's RMS radius r (RMS distance of its weight from its
centroid, px): 0 = r < 1 (sharp), 1 = 1-2, 2 = 2-3.5, 3 = >= 3.5. Each image first draws its class
(uniform), then kernels until one falls in that class, so the classes are balanced. Inputs are
ImageNet-normalised exactly as :class:`qrdeblur.losses.perceptual.DetailLoss` feeds its VGG16.

Writes ``OUT/vgg16-codes.pth`` (the trunk only: a torchvision-style ``features.N.weight/bias`` state
dict that ``loss.detail.weights`` loads), ``OUT/vgg16-codes-head.pth`` (the head) and
``OUT/vgg16-codes.json`` (accuracy on a held-out set of fixed seed, confusion matrix, settings,
time, library versions, the .pth's SHA-256). Seeded and deterministic at one thread on the CPU.
Run (about 12 minutes on one core, as ``configs/paper-full/code-vgg.yaml`` expects)::

    PYTHONPATH=src python research/train_code_vgg.py --out runs/code-vgg
    PYTHONPATH=src python research/train_code_vgg.py --out /tmp/cv --steps 3 --batch 4 --eval-count 8
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.models.vgg import VGG16Features, imagenet_normalize, load_vgg16_weights
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.payloads import random_payload
from qrdeblur.synth.presets import fit_symbol
from qrdeblur.synth.render import module_matrix, render_matrix
from qrdeblur.synth.reserved import is_reserved_payload

#: Upper bounds (px) of the blur-radius classes 0, 1, 2; class 3 is everything above the last.
RADIUS_BINS = (1.0, 2.0, 3.5)
N_CLASSES = len(RADIUS_BINS) + 1
EVAL_SEED_OFFSET = 1_000_003  # the held-out set's seed: the training seed plus this
PAPER_CODES = Path(__file__).resolve().parents[1] / "configs" / "paper" / "paper-codes.txt"


def psf_radius(psf: np.ndarray) -> float:
    """RMS distance (px) of a kernel's weight from its centroid."""
    ys, xs = np.mgrid[: psf.shape[0], : psf.shape[1]]
    w = psf / psf.sum()
    cy, cx = (w * ys).sum(), (w * xs).sum()
    return float(np.sqrt((w * ((ys - cy) ** 2 + (xs - cx) ** 2)).sum()))


def blur_class(radius: float) -> int:
    """The class of a blur radius (see :data:`RADIUS_BINS`)."""
    return int(np.searchsorted(RADIUS_BINS, radius, side="right"))


def draw_psf(rng: np.random.Generator, cls: int) -> tuple[np.ndarray, dict]:
    """Motion-then-Gaussian kernels until one's radius falls in class ``cls``; returns it and its params."""
    while True:
        length = float(rng.uniform(0, 20)) if rng.random() < 0.8 else 0.0
        theta = float(rng.uniform(0, 180))
        sigma = float(rng.uniform(0, 3))
        if cls == 0:  # most draws are far too blurred for the sharp class: draw it from its own range
            length, sigma = float(rng.uniform(0, 3)), float(rng.uniform(0, 0.7))
        psf = kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma))
        r = psf_radius(psf)
        if blur_class(r) == cls:
            return psf, {"motion_length": length, "motion_angle": theta, "gaussian_sigma": sigma, "radius": r}


def draw_image(rng: np.random.Generator, excluded: frozenset[str], size: int = 80) -> tuple[np.ndarray, int]:
    """One (size, size, 3) float32 image in [0, 1] and its blur class."""
    while True:
        payload = random_payload(rng)
        if payload not in excluded and not is_reserved_payload(payload):
            break
    _, symbol = fit_symbol(payload, rng, (1, 2, 3, 4), None, random_mask=True)
    dark, light = float(rng.uniform(0, 0.25)), float(rng.uniform(0.75, 1.0))
    sharp = render_matrix(module_matrix(symbol, int(rng.integers(1, 5))), size_px=size, dark=dark, light=light)
    cls = int(rng.integers(N_CLASSES))
    psf, _ = draw_psf(rng, cls)
    blurred, _ = degrade.gaussian_noise(degrade.convolve(sharp, psf), rng, float(rng.uniform(0, 0.02)))
    return np.repeat(degrade.quantise(blurred)[..., None], 3, axis=2), cls


def draw_batch(rng: np.random.Generator, n: int, excluded: frozenset[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images as a (n, 3, 80, 80) tensor and their classes."""
    images, labels = zip(*(draw_image(rng, excluded) for _ in range(n)), strict=True)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(labels, dtype=torch.long)


class CodeBlurNet(nn.Module):
    """VGG16 up to block3_conv3 (ReLU'd, as the detail loss reads it) + global average pool + linear."""

    def __init__(self, generator: torch.Generator | None = None):
        super().__init__()
        self.vgg = VGG16Features("block3_conv3", generator=generator)
        self.head = nn.Linear(256, N_CLASSES)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits of images in [0, 1] (normalised here exactly as the detail loss does)."""
        return self.head(self.vgg(imagenet_normalize(images)).mean(dim=(2, 3)))


@torch.no_grad()
def evaluate(model: CodeBlurNet, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> dict:
    """Accuracy and confusion matrix (rows: true class, columns: predicted) on a fixed set."""
    model.eval()
    pred = torch.cat([model(x[i : i + 64].to(device)).argmax(1).cpu() for i in range(0, len(x), 64)])
    model.train()
    confusion = torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long)
    for t, p in zip(y.tolist(), pred.tolist(), strict=True):
        confusion[t, p] += 1
    return {"accuracy": float((pred == y).float().mean()), "confusion": confusion.tolist()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/code-vgg"), help="output folder")
    parser.add_argument("--steps", type=int, default=450, help="training steps (default 450)")
    parser.add_argument("--batch", type=int, default=32, help="images per step (default 32)")
    parser.add_argument("--lr", type=float, default=3e-4, help="Adam learning rate, cosine-decayed to 0")
    parser.add_argument("--eval-count", type=int, default=1024, help="held-out images (default 1024)")
    parser.add_argument("--eval-every", type=int, default=50, help="held-out accuracy every N steps (on 256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                        help="cpu (default; deterministic), cuda, or auto")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    torch.manual_seed(args.seed)
    excluded = frozenset(PAPER_CODES.read_text(encoding="utf-8").split("\n")) if PAPER_CODES.exists() else frozenset()
    rng = np.random.default_rng(np.random.SeedSequence([args.seed, 1]))
    eval_rng = np.random.default_rng(np.random.SeedSequence([args.seed + EVAL_SEED_OFFSET, 2]))
    x_eval, y_eval = draw_batch(eval_rng, args.eval_count, excluded)

    model = CodeBlurNet(generator=torch.Generator().manual_seed(args.seed)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    args.out.mkdir(parents=True, exist_ok=True)
    t0, history, running = time.time(), [], []
    cpu0 = time.process_time()
    for step in range(1, args.steps + 1):
        for group in opt.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / args.steps))
        x, y = draw_batch(rng, args.batch, excluded)
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append((float(loss.detach()), float((logits.argmax(1) == y).float().mean())))
        if step % args.eval_every == 0 or step == args.steps:
            held = evaluate(model, x_eval[:256], y_eval[:256], device)
            loss_mean, acc_mean = np.mean(running, axis=0)
            history.append({"step": step, "train_loss": round(float(loss_mean), 4),
                            "train_accuracy": round(float(acc_mean), 4),
                            "heldout256_accuracy": round(held["accuracy"], 4),
                            "elapsed_s": round(time.time() - t0, 1)})
            print(json.dumps(history[-1]), flush=True)
            running.clear()
    final = evaluate(model, x_eval, y_eval, device)
    seconds, cpu_seconds = time.time() - t0, time.process_time() - cpu0

    weights = args.out / "vgg16-codes.pth"
    torch.save({k: v.detach().cpu() for k, v in model.vgg.state_dict().items()}, weights)
    torch.save({k: v.detach().cpu() for k, v in model.head.state_dict().items()}, args.out / "vgg16-codes-head.pth")
    load_vgg16_weights(VGG16Features("block3_conv3"), weights)  # loads as the detail loss will load it
    report = {
        "task": "blur-radius class of synthetic 80x80 QR code images (4 classes, balanced)",
        "radius_bins_px": list(RADIUS_BINS),
        "heldout_accuracy": round(final["accuracy"], 4),
        "heldout_count": args.eval_count,
        "confusion_true_by_predicted": final["confusion"],
        "chance_accuracy": round(1 / N_CLASSES, 4),
        "steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": args.seed, "threads": args.threads,
        "device": str(device), "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
        "history": history,
        "weights": weights.name,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "command": "PYTHONPATH=src python research/train_code_vgg.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
    }
    (args.out / "vgg16-codes.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("heldout_accuracy", "seconds", "weights_sha256")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
